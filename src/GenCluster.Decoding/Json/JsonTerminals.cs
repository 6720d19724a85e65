namespace GenCluster.Decoding.Json;

/// <summary>
/// The grammar rules of RFC 8259 JSON's lexical pieces (whitespace, strings, numbers, literals) and of the
/// unconstrained "any JSON value", built once per grammar and shared by every schema location that uses them.
/// </summary>
internal sealed class JsonTerminals(GrammarBuilder g, JsonGrammarOptions options)
{
    readonly Dictionary<(int, int?), Symbol> _strings = [];
    Symbol? _ws, _anyChar, _bmpChar, _integer, _number, _anyValue;

    /// <summary>Bounded whitespace: "" | " " | "\n" [ \t]{0,MaxIndent}.</summary>
    public Symbol[] Ws => [_ws ??= g.Choice("ws", [], [g.Char(' ')],
        [g.Char('\n'), g.Repeat("indent", [g.Chars(CharClass.AnyOf(" \t"))], 0, options.MaxIndent)])];

    /// <summary>ws "," ws, between array items and object members.</summary>
    public Symbol[] Comma => [.. Ws, g.Char(','), .. Ws];

    /// <summary>
    /// One character of a string's content: an unescaped character, a surrogate pair (only in strings without
    /// length bounds, see <see cref="String"/>), or an escape. \u escapes of surrogates are excluded so that
    /// every generated string is valid Unicode.
    /// </summary>
    Symbol StringChar(bool withSurrogatePairs)
    {
        ref var cached = ref withSurrogatePairs ? ref _anyChar : ref _bmpChar;
        if (cached is { } known) return known;
        var rule = g.NewRule(withSurrogatePairs ? "char" : "bmp-char");
        g.Add(rule, [g.Chars(CharClass.Except(('\0', '\x1f'), ('"', '"'), ('\\', '\\'), ('\uD800', '\uDFFF')))]);
        if (withSurrogatePairs) g.Add(rule, [g.Chars(CharClass.Of(('\uD800', '\uDBFF'))), g.Chars(CharClass.Of(('\uDC00', '\uDFFF')))]);
        g.Add(rule, [g.Char('\\'), g.Chars(CharClass.AnyOf("\"\\/bfnrt"))]);
        g.Add(rule, [g.Char('\\'), g.Char('u'), g.Chars(CharClass.AnyOf("0123456789abcABCeEfF")), Hex, Hex, Hex]);
        g.Add(rule, [g.Char('\\'), g.Char('u'), g.Chars(CharClass.AnyOf("dD")), g.Chars(CharClass.Of(('0', '7'))), Hex, Hex]);
        return (cached = Symbol.Rule(rule)).Value;
    }

    Symbol Hex => g.Chars(CharClass.Of(('0', '9'), ('A', 'F'), ('a', 'f')));

    Symbol Digit => g.Chars(CharClass.Of(('0', '9')));

    /// <summary>
    /// A string of <paramref name="minLength"/> to <paramref name="maxLength"/> (null: unbounded) characters. JSON
    /// Schema counts code points, NJsonSchema (and .NET's string.Length) UTF-16 units: bounded strings keep to the
    /// Basic Multilingual Plane, where both counts agree, so the output validates under either reading.
    /// </summary>
    public Symbol String(int minLength, int? maxLength)
    {
        if (!_strings.TryGetValue((minLength, maxLength), out var rule))
            _strings[(minLength, maxLength)] = rule = g.Choice($"string{{{minLength},{maxLength}}}",
                [g.Char('"'), g.Repeat("chars", [StringChar(minLength == 0 && maxLength is null)], minLength, maxLength), g.Char('"')]);
        return rule;
    }

    /// <summary>-?(0|[1-9][0-9]{0,MaxIntegerDigits-1}).</summary>
    public Symbol Integer => _integer ??= g.Choice("integer", [IntegerPart], [g.Char('-'), IntegerPart]);

    Symbol IntegerPart => g.Choice("digits", [g.Char('0')],
        [g.Chars(CharClass.Of(('1', '9'))), g.Repeat("digits", [Digit], 0, options.MaxIntegerDigits - 1)]);

    /// <summary>integer ("." [0-9]{1,MaxFractionDigits})? ([eE] [+-]? [0-9]{1,MaxExponentDigits})?.</summary>
    public Symbol Number => _number ??= g.Choice("number", [Integer,
        g.Choice("fraction", [], [g.Char('.'), g.Repeat("fraction", [Digit], 1, options.MaxFractionDigits)]),
        g.Choice("exponent", [], [g.Chars(CharClass.AnyOf("eE")), g.Choice("sign", [], [g.Chars(CharClass.AnyOf("+-"))]),
            g.Repeat("exponent", [Digit], 1, options.MaxExponentDigits)])]);

    /// <summary>true | false.</summary>
    public Symbol Boolean => g.Choice("boolean", g.Literal("true"), g.Literal("false"));

    /// <summary>null.</summary>
    public Symbol Null => g.Choice("null", g.Literal("null"));

    /// <summary>"[" ws (item ("," item){min-1,max-1})? ws "]".</summary>
    public Symbol Array(string name, Symbol item, int minItems, int? maxItems)
    {
        Symbol[][] empty = minItems == 0 ? [[g.Char('['), .. Ws, g.Char(']')]] : [];
        Symbol[][] filled = maxItems == 0 ? []
            : [[g.Char('['), .. Ws, g.Repeat(name + "/items", [item], Math.Max(minItems, 1), maxItems, Comma), .. Ws, g.Char(']')]];
        return g.Choice(name, [.. empty, .. filled]);
    }

    /// <summary>An object with any keys (any strings) whose values all match <paramref name="value"/>.</summary>
    public Symbol FreeObject(string name, Symbol value)
    {
        Symbol[] member = [String(0, null), .. Ws, g.Char(':'), .. Ws, value];
        return g.Choice(name, [g.Char('{'), .. Ws, g.Char('}')],
            [g.Char('{'), .. Ws, g.Repeat(name + "/members", member, 1, null, Comma), .. Ws, g.Char('}')]);
    }

    /// <summary>Any JSON value (no schema, `true`, or a schema without constraints).</summary>
    public Symbol AnyValue
    {
        get
        {
            if (_anyValue is { } any) return any;
            var rule = g.NewRule("value");
            _anyValue = Symbol.Rule(rule);
            foreach (var alternative in new[] { FreeObject("object", _anyValue.Value), Array("array", _anyValue.Value, 0, null), String(0, null), Number, Boolean, Null })
                g.Add(rule, [alternative]);
            return _anyValue.Value;
        }
    }
}
