namespace GenCluster.Decoding.Json;

/// <summary>
/// A frozen character grammar, flattened like llama.cpp's: every alternative is a run of elements in
/// <see cref="Kind"/>/<see cref="Arg"/> ending with an End element, so a parse position is one int.
/// </summary>
internal sealed class Grammar
{
    /// <summary>Element kinds of the flattened alternatives.</summary>
    public const byte End = 0, Terminal = 1, Reference = 2;

    /// <summary>Kind of the element at each position.</summary>
    public byte[] Kind { get; }

    /// <summary>Character class id (Terminal) or rule id (Reference) of each position.</summary>
    public int[] Arg { get; }

    /// <summary>Start positions of the alternatives of each rule.</summary>
    public int[][] RuleStarts { get; }

    /// <summary>The character classes that terminals refer to.</summary>
    public CharClass[] Classes { get; }

    /// <summary>The start rule.</summary>
    public int Root { get; }

    Grammar(byte[] kind, int[] arg, int[][] ruleStarts, CharClass[] classes, int root)
    {
        (Kind, Arg, RuleStarts, Classes, Root) = (kind, arg, ruleStarts, classes, root);
    }

    /// <summary>Validates and flattens rule alternatives; see <see cref="GrammarBuilder.Build"/>.</summary>
    public static Grammar Create(CharClass[] classes, Symbol[][][] rules, string[] names, int root)
    {
        var productive = Productive(rules);
        if (!productive[root])
            throw new InvalidSchemaException("#", "no finite JSON value satisfies the schema (every branch recurses forever or has contradictory bounds)");
        // Alternatives through unproductive rules are dead ends for a sampler: drop them.
        var live = rules.Select(alts => alts.Where(a => a.All(s => !s.IsRule || productive[s.Id])).ToArray()).ToArray();
        RejectLeftRecursion(live, names);

        var kind = new List<byte>();
        var arg = new List<int>();
        var starts = new int[live.Length][];
        for (int r = 0; r < live.Length; r++)
        {
            starts[r] = new int[live[r].Length];
            for (int a = 0; a < live[r].Length; a++)
            {
                starts[r][a] = kind.Count;
                foreach (var s in live[r][a])
                {
                    kind.Add(s.IsRule ? Reference : Terminal);
                    arg.Add(s.Id);
                }
                kind.Add(End);
                arg.Add(0);
            }
        }
        return new Grammar(kind.ToArray(), arg.ToArray(), starts, classes, root);
    }

    static bool[] Productive(Symbol[][][] rules)
    {
        var productive = new bool[rules.Length];
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int r = 0; r < rules.Length; r++)
                if (!productive[r] && rules[r].Any(a => a.All(s => !s.IsRule || productive[s.Id])))
                    productive[r] = changed = true;
        }
        return productive;
    }

    /// <summary>A rule that can reach itself without reading a character would make the automaton expand forever.</summary>
    static void RejectLeftRecursion(Symbol[][][] rules, string[] names)
    {
        var nullable = new bool[rules.Length];
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int r = 0; r < rules.Length; r++)
                if (!nullable[r] && rules[r].Any(a => a.All(s => s.IsRule && nullable[s.Id])))
                    nullable[r] = changed = true;
        }
        // Rules an alternative can enter before reading a character: its leading references up to the first non-nullable symbol.
        var leftEdges = rules.Select(alts => alts.SelectMany(LeadingRules).Distinct().ToArray()).ToArray();
        var color = new byte[rules.Length]; // 0 unvisited, 1 on the DFS path, 2 done
        for (int r = 0; r < rules.Length; r++) Visit(r);

        IEnumerable<int> LeadingRules(Symbol[] alternative)
        {
            foreach (var s in alternative)
            {
                if (!s.IsRule) yield break;
                yield return s.Id;
                if (!nullable[s.Id]) yield break;
            }
        }

        void Visit(int r)
        {
            if (color[r] == 2) return;
            if (color[r] == 1)
                throw new InvalidSchemaException(names[r], "$ref cycle that reads no character (a schema that is, through $ref/anyOf, directly its own alternative)");
            color[r] = 1;
            foreach (var next in leftEdges[r]) Visit(next);
            color[r] = 2;
        }
    }
}
