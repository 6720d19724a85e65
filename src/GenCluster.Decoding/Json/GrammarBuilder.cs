namespace GenCluster.Decoding.Json;

/// <summary>
/// Builds a context-free grammar over characters (the form llama.cpp's GBNF grammars use): rules are lists of
/// alternatives, alternatives are sequences of character classes and rule references. Repetition is right
/// recursion, which the automaton runs as a tail call so that long strings do not grow its stack.
/// </summary>
internal sealed class GrammarBuilder
{
    readonly List<CharClass> _classes = [];
    readonly Dictionary<char, int> _singleChars = [];
    readonly List<List<Symbol[]>> _alternatives = [];
    readonly List<string> _names = [];

    /// <summary>Declares an empty rule, so that recursive references can point at it before it is defined.</summary>
    public int NewRule(string name)
    {
        _alternatives.Add([]);
        _names.Add(name);
        return _alternatives.Count - 1;
    }

    /// <summary>Adds one alternative (a sequence, possibly empty) to <paramref name="rule"/>.</summary>
    public void Add(int rule, params IEnumerable<Symbol>[] parts) => _alternatives[rule].Add(parts.SelectMany(p => p).ToArray());

    /// <summary>The terminal matching one character of <paramref name="cls"/>.</summary>
    public Symbol Chars(CharClass cls)
    {
        _classes.Add(cls);
        return Symbol.Chars(_classes.Count - 1);
    }

    /// <summary>The terminal matching exactly <paramref name="c"/> (shared between uses).</summary>
    public Symbol Char(char c)
    {
        if (!_singleChars.TryGetValue(c, out var id))
        {
            _classes.Add(CharClass.Single(c));
            _singleChars[c] = id = _classes.Count - 1;
        }
        return Symbol.Chars(id);
    }

    /// <summary>The terminals spelling <paramref name="text"/>.</summary>
    public Symbol[] Literal(string text) => text.Select(Char).ToArray();

    /// <summary>A new rule with the given alternatives.</summary>
    public Symbol Choice(string name, params IEnumerable<Symbol>[] alternatives)
    {
        var rule = NewRule(name);
        foreach (var alternative in alternatives) Add(rule, alternative);
        return Symbol.Rule(rule);
    }

    /// <summary>
    /// <paramref name="item"/> repeated between <paramref name="min"/> and <paramref name="max"/> times (null: unbounded),
    /// each repetition after the first preceded by <paramref name="separator"/>. Counted repetition unrolls into
    /// one rule per count, so the automaton state carries the count (this is how maxLength and maxItems are exact).
    /// </summary>
    public Symbol Repeat(string name, Symbol[] item, int min, int? max, Symbol[]? separator = null)
    {
        separator ??= [];
        if (max == 0) return Choice(name, []);
        // tail(i): i items emitted (i >= 1); may stop when i >= min, may continue with separator + item.
        var star = max is null ? NewRule(name + "*") : -1;
        if (star >= 0)
        {
            Add(star, []);
            Add(star, separator, item, [Symbol.Rule(star)]);
        }
        int top = max ?? Math.Max(min, 1);
        var tails = new int[top + 1];
        for (int i = top; i >= 1; i--)
        {
            tails[i] = NewRule($"{name}[{i}]");
            if (i >= min) Add(tails[i], i == top && star >= 0 ? [Symbol.Rule(star)] : []);
            if (i < top) Add(tails[i], separator, item, [Symbol.Rule(tails[i + 1])]);
        }
        var first = NewRule(name);
        if (min == 0) Add(first, []);
        Add(first, item, [Symbol.Rule(tails[1])]);
        return Symbol.Rule(first);
    }

    /// <summary>Freezes the grammar with <paramref name="root"/> as start rule, pruning alternatives that can never finish.</summary>
    public Grammar Build(int root) => Grammar.Create(_classes.ToArray(), _alternatives.Select(a => a.ToArray()).ToArray(), _names.ToArray(), root);
}
