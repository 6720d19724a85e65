namespace GenCluster.Models.ChatTemplates;

/// <summary>Recursive-descent parser for the statement level of jinja2 templates (expressions in TemplateParser.Expressions.cs).</summary>
sealed partial class TemplateParser
{
    readonly List<Token> tokens;
    int index;

    TemplateParser(List<Token> tokens) => this.tokens = tokens;

    /// <summary>Parses a template source into its statement list.</summary>
    public static List<Node> Parse(string source)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source));
        var body = parser.ParseBody(out var end);
        if (end != null) throw parser.Error($"unexpected '{end}'");
        return body;
    }

    Token Current => tokens[index];
    Token Next() => tokens[index++];

    TemplateSyntaxException Error(string message) => new(message, Current.Line);

    bool IsOp(string op) => Current.Kind == TokenKind.Operator && Current.Value == op;
    bool IsName(string name) => Current.Kind == TokenKind.Name && Current.Value == name;

    bool SkipOp(string op)
    {
        if (!IsOp(op)) return false;
        index++;
        return true;
    }

    bool SkipName(string name)
    {
        if (!IsName(name)) return false;
        index++;
        return true;
    }

    void ExpectOp(string op)
    {
        if (!SkipOp(op)) throw Error($"expected '{op}', got '{Current.Value}'");
    }

    string ExpectName()
    {
        if (Current.Kind != TokenKind.Name) throw Error($"expected a name, got '{Current.Value}'");
        return Next().Value;
    }

    void Expect(TokenKind kind)
    {
        if (Current.Kind != kind) throw Error($"expected {kind}, got '{Current.Value}'");
        index++;
    }

    /// <summary>
    /// Parses statements until EOF or a block tag this level does not own (endfor, else, elif, ...);
    /// <paramref name="end"/> is that tag's keyword (the stream is left after it), or null at EOF.
    /// </summary>
    List<Node> ParseBody(out string? end)
    {
        var body = new List<Node>();
        while (true)
        {
            var token = Next();
            switch (token.Kind)
            {
                case TokenKind.Eof:
                    index--;
                    end = null;
                    return body;
                case TokenKind.Text:
                    body.Add(new TextNode(token.Value));
                    break;
                case TokenKind.VarBegin:
                    body.Add(new OutputNode(ParseTuple(withCondition: true)) { Line = token.Line });
                    Expect(TokenKind.VarEnd);
                    break;
                case TokenKind.BlockBegin:
                    string keyword = ExpectName();
                    var statement = ParseStatement(keyword);
                    if (statement == null)
                    {
                        end = keyword;
                        return body;
                    }
                    statement.Line = token.Line;
                    body.Add(statement);
                    break;
                default:
                    throw Error($"unexpected '{token.Value}'");
            }
        }
    }

    /// <summary>Parses one block statement, or returns null for a closing/continuation keyword.</summary>
    Node? ParseStatement(string keyword)
    {
        switch (keyword)
        {
            case "if": return ParseIf();
            case "for": return ParseFor();
            case "set": return ParseSet();
            case "macro": return ParseMacro();
            case "generation": return ParseGeneration();
            case "break" or "continue":
                Expect(TokenKind.BlockEnd);
                return new LoopControlNode(keyword == "break");
            case "endif" or "elif" or "else" or "endfor" or "endset" or "endmacro" or "endgeneration":
                return null;
            default:
                throw Error($"unsupported tag '{keyword}'");
        }
    }

    List<Node> ParseUntil(string what, out string end, params string[] allowed)
    {
        var body = ParseBody(out var tag);
        if (tag == null || !allowed.Contains(tag)) throw Error($"'{what}' block not closed (found {tag ?? "end of template"})");
        end = tag;
        return body;
    }

    Node ParseIf()
    {
        var branches = new List<(Expr, List<Node>)>();
        var elseBody = new List<Node>();
        var condition = ParseTuple(withCondition: true);
        while (true)
        {
            Expect(TokenKind.BlockEnd);
            var body = ParseUntil("if", out var end, "elif", "else", "endif");
            branches.Add((condition, body));
            if (end == "elif") { condition = ParseTuple(withCondition: true); continue; }
            if (end == "else")
            {
                Expect(TokenKind.BlockEnd);
                elseBody = ParseUntil("if", out _, "endif");
            }
            Expect(TokenKind.BlockEnd);
            return new IfNode(branches, elseBody);
        }
    }

    Node ParseFor()
    {
        var targets = new List<string> { ExpectName() };
        while (SkipOp(",")) targets.Add(ExpectName());
        if (!SkipName("in")) throw Error("expected 'in' in for loop");
        var iterable = ParseTuple(withCondition: false);
        Expr? filter = SkipName("if") ? ParseExpression(withCondition: true) : null;
        if (SkipName("recursive")) throw Error("recursive for loops are not supported");
        Expect(TokenKind.BlockEnd);
        var body = ParseUntil("for", out var end, "else", "endfor");
        var elseBody = new List<Node>();
        if (end == "else")
        {
            Expect(TokenKind.BlockEnd);
            elseBody = ParseUntil("for", out _, "endfor");
        }
        Expect(TokenKind.BlockEnd);
        return new ForNode(targets, iterable, filter, body, elseBody);
    }

    Node ParseSet()
    {
        string name = ExpectName();
        Expr target = new NameExpr(name);
        if (SkipOp(".")) target = new AttrExpr(target, ExpectName());
        else if (IsOp(","))
        {
            var names = new List<Expr> { target };
            while (SkipOp(",")) names.Add(new NameExpr(ExpectName()));
            target = new ListExpr(names);
        }
        if (SkipOp("="))
        {
            var value = ParseTuple(withCondition: true);
            Expect(TokenKind.BlockEnd);
            return new SetNode(target, value);
        }
        if (target is not NameExpr) throw Error("block set needs a plain name");
        Expect(TokenKind.BlockEnd);
        var body = ParseUntil("set", out _, "endset");
        Expect(TokenKind.BlockEnd);
        return new SetBlockNode(name, body);
    }

    /// <summary>
    /// transformers' <c>{% generation %}</c> tag (AssistantTracker) only marks assistant text for training masks;
    /// for rendering its body is output as is.
    /// </summary>
    Node ParseGeneration()
    {
        Expect(TokenKind.BlockEnd);
        var body = ParseUntil("generation", out _, "endgeneration");
        Expect(TokenKind.BlockEnd);
        return new IfNode([(new LiteralExpr(true), body)], []);
    }

    Node ParseMacro()
    {
        string name = ExpectName();
        var parameters = new List<(string, Expr?)>();
        ExpectOp("(");
        while (!SkipOp(")"))
        {
            if (parameters.Count > 0) ExpectOp(",");
            string param = ExpectName();
            parameters.Add((param, SkipOp("=") ? ParseExpression(withCondition: true) : null));
        }
        Expect(TokenKind.BlockEnd);
        var body = ParseUntil("macro", out _, "endmacro");
        if (Current.Kind == TokenKind.Name) index++; // {% endmacro name %}
        Expect(TokenKind.BlockEnd);
        return new MacroNode(name, parameters, body);
    }
}
