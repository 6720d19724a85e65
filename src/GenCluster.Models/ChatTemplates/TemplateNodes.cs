namespace GenCluster.Models.ChatTemplates;

/// <summary>A template statement (text, output, control flow); <see cref="Line"/> locates runtime errors.</summary>
abstract record Node
{
    /// <summary>1-based line of the statement's tag.</summary>
    public int Line { get; set; }
}

/// <summary>Literal template text.</summary>
sealed record TextNode(string Text) : Node;

/// <summary><c>{{ expr }}</c>.</summary>
sealed record OutputNode(Expr Value) : Node;

/// <summary><c>{% if %}{% elif %}{% else %}{% endif %}</c>: the first branch whose condition holds runs.</summary>
sealed record IfNode(List<(Expr Condition, List<Node> Body)> Branches, List<Node> Else) : Node;

/// <summary><c>{% for a, b in iter if cond %}...{% else %}...{% endfor %}</c>.</summary>
sealed record ForNode(List<string> Targets, Expr Iterable, Expr? Filter, List<Node> Body, List<Node> Else) : Node;

/// <summary><c>{% set target = value %}</c>; the target is a name, names (unpacking) or ns.attr.</summary>
sealed record SetNode(Expr Target, Expr Value) : Node;

/// <summary><c>{% set name %}...{% endset %}</c>: captures rendered text.</summary>
sealed record SetBlockNode(string Name, List<Node> Body) : Node;

/// <summary><c>{% macro name(params) %}...{% endmacro %}</c>.</summary>
sealed record MacroNode(string Name, List<(string Name, Expr? Default)> Parameters, List<Node> Body) : Node;

/// <summary><c>{% break %}</c> / <c>{% continue %}</c> (jinja2.ext.loopcontrols, enabled by transformers).</summary>
sealed record LoopControlNode(bool IsBreak) : Node;

/// <summary>An expression.</summary>
abstract record Expr;

/// <summary>A constant.</summary>
sealed record LiteralExpr(object? Value) : Expr;

/// <summary>A variable reference.</summary>
sealed record NameExpr(string Name) : Expr;

/// <summary><c>obj.name</c>: attribute first, then item (jinja2 getattr).</summary>
sealed record AttrExpr(Expr Target, string Name) : Expr;

/// <summary><c>obj[key]</c>: item first, then attribute (jinja2 getitem).</summary>
sealed record ItemExpr(Expr Target, Expr Key) : Expr;

/// <summary><c>obj[start:stop:step]</c>.</summary>
sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr;

/// <summary><c>f(args, name=value)</c>.</summary>
sealed record CallExpr(Expr Function, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr;

/// <summary><c>value | name(args)</c>.</summary>
sealed record FilterExpr(Expr Value, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr;

/// <summary><c>value is [not] name(args)</c>.</summary>
sealed record TestExpr(Expr Value, string Name, List<Expr> Args, bool Negated) : Expr;

/// <summary>Arithmetic, concatenation (~) and the short-circuit and/or.</summary>
sealed record BinaryExpr(string Op, Expr Left, Expr Right) : Expr;

/// <summary><c>not x</c>, <c>-x</c>, <c>+x</c>.</summary>
sealed record UnaryExpr(string Op, Expr Operand) : Expr;

/// <summary>A comparison chain <c>a &lt; b == c</c>, including <c>in</c> / <c>not in</c>.</summary>
sealed record CompareExpr(Expr First, List<(string Op, Expr Right)> Rest) : Expr;

/// <summary><c>a if cond else b</c> (b undefined when omitted).</summary>
sealed record ConditionalExpr(Expr Condition, Expr Then, Expr? Else) : Expr;

/// <summary><c>[a, b]</c>, or a tuple <c>(a, b)</c> / <c>a, b</c>.</summary>
sealed record ListExpr(List<Expr> Items, bool IsTuple = false) : Expr;

/// <summary><c>{k: v}</c>.</summary>
sealed record DictExpr(List<(Expr Key, Expr Value)> Items) : Expr;
