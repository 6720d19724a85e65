using GenCluster.Models.Runtime;

namespace GenCluster.Models.Kernels;

/// <summary>
/// The activation rows of one fused pass over one or several caches: the passes' new tokens back to back, token t of
/// sequence b of a pass at row <see cref="PassLayout.FirstRow"/> + b · count + t, written at slot past + t of that
/// pass's cache. The products take all rows at once; RoPE, the cache append and attention read each row's own pass.
/// </summary>
internal sealed class PassRows
{
    readonly int[] _passOfRow;

    /// <summary>The passes, in the order their rows (and output rows) follow each other.</summary>
    public PassLayout[] Passes { get; }

    /// <summary>Activation rows over all passes.</summary>
    public int Rows => _passOfRow.Length;

    /// <summary>Rows that get logits: every new token of an Outputs = All pass, each sequence's last token otherwise.</summary>
    public int OutputRows { get; }

    /// <summary>Largest past + new slot count of any pass (the attention scores' width).</summary>
    public int MostSlots { get; }

    /// <summary>Largest position id among the new tokens (sizes the rotary tables).</summary>
    public long MaxPosition { get; }

    PassRows(PassLayout[] passes)
    {
        Passes = passes;
        _passOfRow = passes.SelectMany((p, i) => Enumerable.Repeat(i, p.Batch * p.Count)).ToArray();
        OutputRows = passes.Sum(p => p.Batch * p.Outputs);
        MostSlots = passes.Max(p => p.Past + p.Count);
        MaxPosition = passes.Max(p => Largest(p.Positions));
    }

    static long Largest(long[,] positions)
    {
        long largest = 0;
        foreach (long position in positions) largest = Math.Max(largest, position);
        return largest;
    }

    /// <summary>Reserves every pass's new slots in its cache (<see cref="StepLayout.Reserve"/>) and lays out their rows.</summary>
    public static PassRows Reserve(IReadOnlyList<CachedForward> passes)
    {
        var layouts = new PassLayout[passes.Count];
        int row = 0, output = 0;
        for (int p = 0; p < passes.Count; p++)
        {
            var (request, cache) = (passes[p].Request, passes[p].Cache);
            int past = cache.Length;
            var positions = StepLayout.Reserve(request, cache);
            layouts[p] = new PassLayout(request, cache, row, output, past, positions);
            row += layouts[p].Batch * layouts[p].Count;
            output += layouts[p].Batch * layouts[p].Outputs;
        }
        return new PassRows(layouts);
    }

    /// <summary>The pass, sequence and new-token index of activation row <paramref name="row"/>.</summary>
    public (int Pass, int Sequence, int Token) Of(int row)
    {
        int p = _passOfRow[row];
        int local = row - Passes[p].FirstRow, count = Passes[p].Count;
        return (p, local / count, local % count);
    }
}

/// <summary>One pass of a fused batch: its request, cache, first activation and output rows, and the slots it writes.</summary>
internal sealed record PassLayout(ForwardRequest Request, KvCache Cache, int FirstRow, int FirstOutput, int Past, long[,] Positions)
{
    /// <summary>Sequences (cache rows) of the pass.</summary>
    public int Batch => Request.InputIds.GetLength(0);

    /// <summary>New tokens per sequence.</summary>
    public int Count => Request.InputIds.GetLength(1);

    /// <summary>Output rows per sequence.</summary>
    public int Outputs => Request.Outputs == OutputPositions.All ? Count : 1;
}
