namespace GenCluster.Decoding.Json;

/// <summary>
/// A model's vocabulary as a character trie over the decoded token strings, stored in depth-first order so a mask
/// walk is one pass over flat arrays that skips a whole subtree when its prefix is rejected. Tokens that cannot be
/// placed as text are left out and so never allowed under a constraint: null or empty text, text with U+FFFD or a
/// lone surrogate (a piece of a multi-byte UTF-8 character: the automaton reads whole characters), and EOS ids.
/// Build once per model and share between constraints.
/// </summary>
public sealed class TokenVocabulary
{
    /// <summary>One trie node, packed so the walk reads one struct per node (node 0 is the root; a sentinel ends the array).</summary>
    /// <param name="Char">Character on the edge into the node.</param>
    /// <param name="Depth">Length of the node's prefix.</param>
    /// <param name="SubtreeEnd">First node after the node's subtree.</param>
    /// <param name="TokensStart">Ids ending at node n: Tokens[Nodes[n].TokensStart..Nodes[n + 1].TokensStart].</param>
    internal readonly record struct Node(char Char, int Depth, int SubtreeEnd, int TokensStart);

    internal readonly Node[] Nodes;
    internal readonly int[] Tokens;
    internal readonly ulong[] BelowLow, BelowHigh; // ASCII characters on the edges below each node; bit 0 also stands for any non-ASCII one
    internal readonly int[] Height;                 // longest path below each node
    readonly bool[] _placeable;

    /// <summary>Number of token ids (the mask width).</summary>
    public int Size { get; }

    /// <summary>End-of-sequence ids, allowed exactly when the value is complete.</summary>
    public IReadOnlyList<int> EosIds { get; }

    /// <summary>Decoded text of each token id (null where unknown).</summary>
    public IReadOnlyList<string?> Texts { get; }

    /// <summary>How many tokens are in the trie (placeable as text).</summary>
    public int PlaceableCount => Tokens.Length;

    /// <summary>Builds the trie of <paramref name="tokenTexts"/> (index = token id).</summary>
    public TokenVocabulary(IReadOnlyList<string?> tokenTexts, IReadOnlyList<int> eosIds)
    {
        foreach (var eos in eosIds)
            if (eos < 0 || eos >= tokenTexts.Count)
                throw new ArgumentOutOfRangeException(nameof(eosIds), $"EOS id {eos} is outside the vocabulary [0, {tokenTexts.Count})");
        Size = tokenTexts.Count;
        EosIds = eosIds.ToArray();
        Texts = tokenTexts;
        var eosSet = eosIds.ToHashSet();
        _placeable = new bool[Size];
        for (int id = 0; id < Size; id++) _placeable[id] = !eosSet.Contains(id) && IsPlaceableText(tokenTexts[id]);
        var ids = Enumerable.Range(0, Size).Where(id => _placeable[id]).ToArray();
        Array.Sort(ids, (a, b) => string.CompareOrdinal(tokenTexts[a], tokenTexts[b]));

        var chars = new List<char> { '\0' };
        var depth = new List<int> { 0 };
        var parent = new List<int> { -1 };
        var tokenNode = new int[ids.Length];
        var path = new List<int> { 0 }; // path[d] = node of the current prefix of length d
        string previous = "";
        for (int i = 0; i < ids.Length; i++)
        {
            var text = tokenTexts[ids[i]]!;
            int common = 0;
            while (common < text.Length && common < previous.Length && text[common] == previous[common]) common++;
            path.RemoveRange(common + 1, path.Count - common - 1);
            for (int d = common; d < text.Length; d++)
            {
                chars.Add(text[d]);
                depth.Add(d + 1);
                parent.Add(path[d]);
                path.Add(chars.Count - 1);
            }
            tokenNode[i] = path[text.Length];
            previous = text;
        }

        int count = chars.Count;
        var subtreeEnd = new int[count];
        for (int n = count - 1; n >= 0; n--)
        {
            if (subtreeEnd[n] == 0) subtreeEnd[n] = n + 1;
            if (parent[n] >= 0) subtreeEnd[parent[n]] = Math.Max(subtreeEnd[parent[n]], subtreeEnd[n]);
        }
        BelowLow = new ulong[count];
        BelowHigh = new ulong[count];
        Height = new int[count];
        for (int n = count - 1; n > 0; n--)
        {
            Height[parent[n]] = Math.Max(Height[parent[n]], Height[n] + 1);
            var c = chars[n] < 128 ? chars[n] : 0;
            BelowLow[parent[n]] |= BelowLow[n] | (c < 64 ? 1UL << c : 0);
            BelowHigh[parent[n]] |= BelowHigh[n] | (c >= 64 ? 1UL << (c - 64) : 0);
        }
        // ids are sorted by text, hence by node in depth-first order: a counting pass lays them out per node.
        var tokensStart = new int[count + 1];
        foreach (var node in tokenNode) tokensStart[node + 1]++;
        for (int n = 0; n < count; n++) tokensStart[n + 1] += tokensStart[n];
        Tokens = ids;
        Nodes = new Node[count + 1];
        for (int n = 0; n < count; n++) Nodes[n] = new Node(chars[n], depth[n], subtreeEnd[n], tokensStart[n]);
        Nodes[count] = new Node('\0', 0, count + 1, tokensStart[count]);
    }

    /// <summary>Number of trie nodes (the worst-case work of one mask walk).</summary>
    public int NodeCount => Nodes.Length - 1;

    /// <summary>Whether token <paramref name="id"/> is in the trie, i.e. can ever be allowed as text.</summary>
    internal bool IsPlaceable(int id) => _placeable[id];

    static bool IsPlaceableText(string? text)
    {
        if (string.IsNullOrEmpty(text)) return false;
        for (int i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\uFFFD') return false;
            if (char.IsHighSurrogate(c) && (i + 1 == text.Length || !char.IsLowSurrogate(text[++i]))) return false;
            if (char.IsLowSurrogate(c)) return false;
        }
        return true;
    }
}
