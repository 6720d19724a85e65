using System.Globalization;

namespace GenCluster.Models.ChatTemplates;

/// <summary>Expression grammar with jinja2's precedence: condexpr &lt; or &lt; and &lt; not &lt; compare &lt; +,- &lt; ~ &lt; *,/,//,% &lt; ** &lt; unary &lt; filters/tests &lt; postfix.</summary>
sealed partial class TemplateParser
{
    static readonly HashSet<string> CompareOps = ["==", "!=", "<", ">", "<=", ">="];

    Expr ParseTuple(bool withCondition)
    {
        var first = ParseExpression(withCondition);
        if (!IsOp(",")) return first;
        var items = new List<Expr> { first };
        while (SkipOp(","))
        {
            if (Current.Kind is TokenKind.BlockEnd or TokenKind.VarEnd || IsOp(")")) break;
            items.Add(ParseExpression(withCondition));
        }
        return new ListExpr(items, IsTuple: true);
    }

    Expr ParseExpression(bool withCondition)
    {
        var expr = ParseOr();
        if (!withCondition) return expr;
        while (SkipName("if"))
        {
            var condition = ParseOr();
            Expr? otherwise = SkipName("else") ? ParseExpression(withCondition: true) : null;
            expr = new ConditionalExpr(condition, expr, otherwise);
        }
        return expr;
    }

    Expr ParseOr()
    {
        var left = ParseAnd();
        while (SkipName("or")) left = new BinaryExpr("or", left, ParseAnd());
        return left;
    }

    Expr ParseAnd()
    {
        var left = ParseNot();
        while (SkipName("and")) left = new BinaryExpr("and", left, ParseNot());
        return left;
    }

    Expr ParseNot() => SkipName("not") ? new UnaryExpr("not", ParseNot()) : ParseCompare();

    Expr ParseCompare()
    {
        var first = ParseBinary(0);
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && CompareOps.Contains(Current.Value)) rest.Add((Next().Value, ParseBinary(0)));
            else if (SkipName("in")) rest.Add(("in", ParseBinary(0)));
            else if (IsName("not") && tokens[index + 1] is { Kind: TokenKind.Name, Value: "in" })
            {
                index += 2;
                rest.Add(("not in", ParseBinary(0)));
            }
            else break;
        }
        return rest.Count == 0 ? first : new CompareExpr(first, rest);
    }

    static readonly string[][] BinaryLevels = [["+", "-"], ["~"], ["*", "/", "//", "%"], ["**"]];

    Expr ParseBinary(int level)
    {
        if (level == BinaryLevels.Length) return ParseUnary(withFilter: true);
        var left = ParseBinary(level + 1);
        while (Current.Kind == TokenKind.Operator && BinaryLevels[level].Contains(Current.Value))
            left = new BinaryExpr(Next().Value, left, ParseBinary(level + 1));
        return left;
    }

    Expr ParseUnary(bool withFilter)
    {
        Expr node;
        if (IsOp("-") || IsOp("+")) node = new UnaryExpr(Next().Value, ParseUnary(withFilter: false));
        else node = ParsePrimary();
        node = ParsePostfix(node);
        return withFilter ? ParseFilters(node) : node;
    }

    Expr ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpr(true),
                    "false" or "False" => new LiteralExpr(false),
                    "none" or "None" => new LiteralExpr(null),
                    _ => new NameExpr(token.Value),
                };
            case TokenKind.String:
                string text = token.Value;
                while (Current.Kind == TokenKind.String) text += Next().Value;
                return new LiteralExpr(text);
            case TokenKind.Integer:
                return new LiteralExpr(long.Parse(token.Value, CultureInfo.InvariantCulture));
            case TokenKind.Float:
                return new LiteralExpr(double.Parse(token.Value, CultureInfo.InvariantCulture));
            case TokenKind.Operator when token.Value == "(":
                if (SkipOp(")")) return new ListExpr([], IsTuple: true);
                var inner = ParseTuple(withCondition: true);
                ExpectOp(")");
                return inner;
            case TokenKind.Operator when token.Value == "[":
                var items = new List<Expr>();
                while (!SkipOp("]"))
                {
                    if (items.Count > 0) { ExpectOp(","); if (SkipOp("]")) break; }
                    items.Add(ParseExpression(withCondition: true));
                }
                return new ListExpr(items);
            case TokenKind.Operator when token.Value == "{":
                var pairs = new List<(Expr, Expr)>();
                while (!SkipOp("}"))
                {
                    if (pairs.Count > 0) { ExpectOp(","); if (SkipOp("}")) break; }
                    var key = ParseExpression(withCondition: true);
                    ExpectOp(":");
                    pairs.Add((key, ParseExpression(withCondition: true)));
                }
                return new DictExpr(pairs);
            default:
                index--;
                throw Error($"unexpected '{token.Value}'");
        }
    }

    Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            if (SkipOp("."))
            {
                var token = Next();
                node = token.Kind switch
                {
                    TokenKind.Name => new AttrExpr(node, token.Value),
                    TokenKind.Integer => new ItemExpr(node, new LiteralExpr(long.Parse(token.Value, CultureInfo.InvariantCulture))),
                    _ => throw Error($"expected an attribute name after '.', got '{token.Value}'"),
                };
            }
            else if (SkipOp("[")) node = ParseSubscript(node);
            else if (SkipOp("(")) node = ParseCall(node);
            else return node;
        }
    }

    Expr ParseSubscript(Expr target)
    {
        Expr? start = null, stop = null, step = null;
        if (!IsOp(":")) start = ParseExpression(withCondition: true);
        if (!SkipOp(":"))
        {
            ExpectOp("]");
            return new ItemExpr(target, start!);
        }
        if (!IsOp(":") && !IsOp("]")) stop = ParseExpression(withCondition: true);
        if (SkipOp(":") && !IsOp("]")) step = ParseExpression(withCondition: true);
        ExpectOp("]");
        return new SliceExpr(target, start, stop, step);
    }

    CallExpr ParseCall(Expr function)
    {
        var (args, kwargs) = ParseArguments();
        return new CallExpr(function, args, kwargs);
    }

    /// <summary>Arguments after an already consumed '(' up to and including ')'.</summary>
    (List<Expr>, List<(string, Expr)>) ParseArguments()
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!SkipOp(")"))
        {
            if (args.Count + kwargs.Count > 0) { ExpectOp(","); if (SkipOp(")")) break; }
            if (Current.Kind == TokenKind.Name && tokens[index + 1] is { Kind: TokenKind.Operator, Value: "=" })
            {
                string name = Next().Value;
                index++;
                kwargs.Add((name, ParseExpression(withCondition: true)));
            }
            else args.Add(ParseExpression(withCondition: true));
        }
        return (args, kwargs);
    }

    string ParseDottedName()
    {
        string name = ExpectName();
        while (SkipOp(".")) name += "." + ExpectName();
        return name;
    }

    Expr ParseFilters(Expr node)
    {
        while (true)
        {
            if (SkipOp("|"))
            {
                string name = ParseDottedName();
                var (args, kwargs) = SkipOp("(") ? ParseArguments() : ([], []);
                node = new FilterExpr(node, name, args, kwargs);
            }
            else if (SkipName("is"))
            {
                bool negated = SkipName("not");
                string name = ParseDottedName();
                var args = new List<Expr>();
                if (SkipOp("(")) args = ParseArguments().Item1;
                else if (StartsTestArgument()) args.Add(ParsePostfix(ParsePrimary()));
                node = new TestExpr(node, name, args, negated);
            }
            else if (SkipOp("(")) node = ParseCall(node);
            else return node;
        }
    }

    bool StartsTestArgument() => Current.Kind switch
    {
        TokenKind.Name => Current.Value is not ("else" or "or" or "and"),
        TokenKind.String or TokenKind.Integer or TokenKind.Float => true,
        TokenKind.Operator => Current.Value is "(" or "[" or "{",
        _ => false,
    };
}
