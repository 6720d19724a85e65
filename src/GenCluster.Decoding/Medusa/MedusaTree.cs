namespace GenCluster.Decoding.Medusa;

/// <summary>
/// The candidate tree of Medusa decoding (Cai et al. 2024, "medusa_choices"): each node is a path of ranks, e.g.
/// [0, 2] = the top token of head 0 followed by the third-ranked token of head 1. The root (the base model's token)
/// is implicit. Nodes are kept in breadth-first order (by depth, then rank path) so a parent precedes its children.
/// </summary>
public sealed class MedusaTree
{
    /// <summary>Rank paths of the nodes, parents first.</summary>
    public IReadOnlyList<int[]> Paths { get; }

    /// <summary>Index (in <see cref="Paths"/>) of each node's parent, -1 for children of the root.</summary>
    public IReadOnlyList<int> Parents { get; }

    /// <summary>Deepest path length (how many heads the tree uses).</summary>
    public int Depth { get; }

    /// <summary>How many top tokens each head must supply (1 + the largest rank at that depth).</summary>
    public IReadOnlyList<int> TopK { get; }

    /// <summary>Builds a tree from rank paths; every path's prefix must also be a node.</summary>
    public MedusaTree(IEnumerable<IReadOnlyList<int>> paths)
    {
        var sorted = paths.Select(p => p.ToArray()).DistinctBy(Key).OrderBy(p => p.Length).ThenBy(Key, StringComparer.Ordinal).ToList();
        if (sorted.Count == 0) throw new ArgumentException("a Medusa tree needs at least one node");
        if (sorted.Any(p => p.Length == 0 || p.Any(r => r < 0))) throw new ArgumentException("Medusa tree paths must be non-empty lists of ranks >= 0");
        var index = sorted.Select((p, i) => (Key(p), i)).ToDictionary(x => x.Item1, x => x.i);
        Parents = sorted.Select(p => p.Length == 1 ? -1 : index.TryGetValue(Key(p[..^1]), out var parent) ? parent
            : throw new ArgumentException($"Medusa tree node [{string.Join(", ", p)}] has no parent node [{string.Join(", ", p[..^1])}]")).ToArray();
        Paths = sorted;
        Depth = sorted.Max(p => p.Length);
        TopK = Enumerable.Range(0, Depth).Select(d => sorted.Where(p => p.Length > d).Max(p => p[d]) + 1).ToArray();
    }

    static string Key(int[] path) => string.Join(",", path.Select(r => r.ToString("D4")));

    /// <summary>
    /// A sparse tree in the spirit of the paper's: the <paramref name="maxNodes"/> paths of highest estimated acceptance
    /// prod_d decay^d / (rank_d + 1) (deeper heads and lower ranks are right less often), over
    /// <paramref name="heads"/> heads and ranks below <paramref name="topK"/>.
    /// </summary>
    public static MedusaTree Sparse(int heads, int maxNodes = 32, int topK = 8, double decay = 0.6)
    {
        if (heads < 1 || maxNodes < 1 || topK < 1) throw new ArgumentOutOfRangeException(nameof(heads), "heads, maxNodes and topK must be >= 1");
        var chosen = new List<(int[] Path, double Score)>();
        var frontier = new PriorityQueue<(int[] Path, double Score), double>();
        for (int r = 0; r < topK; r++) frontier.Enqueue(([r], 1.0 / (r + 1)), -1.0 / (r + 1));
        // Best-first: a child scores below its parent, so parents are always chosen first.
        while (chosen.Count < maxNodes && frontier.TryDequeue(out var node, out _))
        {
            chosen.Add(node);
            if (node.Path.Length == heads) continue;
            for (int r = 0; r < topK; r++)
            {
                double score = node.Score * Math.Pow(decay, node.Path.Length) / (r + 1);
                frontier.Enqueue(([.. node.Path, r], score), -score);
            }
        }
        return new MedusaTree(chosen.Select(c => (IReadOnlyList<int>)c.Path));
    }

    /// <summary>Nodes of the default tree on a GPU, where verifying a few dozen tokens costs about one decode step.</summary>
    public const int GpuNodes = 32;

    /// <summary>
    /// Nodes of the default tree on a CPU, where every verified token costs a share of a step (bench/speculative:
    /// on models/default the 4-node tree decoded fastest of 2, 4, 8, 16 and 32 nodes).
    /// </summary>
    public const int CpuNodes = 4;

    /// <summary>The default tree for a target on <paramref name="device"/>: <see cref="Sparse"/> sized by what verification costs there.</summary>
    public static MedusaTree Default(int heads, TorchSharp.DeviceType device) => Sparse(heads, device == TorchSharp.DeviceType.CPU ? CpuNodes : GpuNodes);

    /// <summary>Parses "0;1;0,0;0,1" (paths separated by ';', ranks by ',').</summary>
    public static MedusaTree Parse(string text)
    {
        try
        {
            return new MedusaTree(text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => (IReadOnlyList<int>)p.Split(',', StringSplitOptions.TrimEntries).Select(int.Parse).ToArray()));
        }
        catch (FormatException)
        {
            throw new FormatException($"a Medusa tree is paths of ranks like \"0;1;0,0;0,1\", got '{text}'");
        }
    }

    /// <summary>The tree without nodes deeper than <paramref name="depth"/> (null when nothing is left).</summary>
    public MedusaTree? Truncate(int depth) =>
        depth >= Depth ? this : depth < 1 ? null : new MedusaTree(Paths.Where(p => p.Length <= depth).Select(p => (IReadOnlyList<int>)p));
}
