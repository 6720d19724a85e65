using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>
/// Nucleus (top-p) filtering (Holtzman et al. 2020; transformers' TopPLogitsWarper): sort ascending, c_i = cumulative
/// softmax; remove the entries with c_i &lt;= 1 - top_p, but never the min_tokens_to_keep highest. The kept set is the
/// smallest top set whose mass exceeds top_p (within float32 rounding, exactly as transformers computes it).
/// </summary>
public sealed class TopP(double topP, int minTokensToKeep = 1) : ILogitsProcessor
{
    /// <summary>The probability mass kept, in (0, 1).</summary>
    public double P { get; } = topP;

    /// <summary>The filter never keeps fewer tokens than this.</summary>
    public int MinTokensToKeep { get; } = minTokensToKeep;

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores)
    {
        using var scope = NewDisposeScope();
        var (sorted, indices) = Removal.AscendingSort(scores, scores, candidatesAreLargest: true, MinTokensToKeep);
        var cumulative = sorted.softmax(-1).cumsum(-1);
        var remove = cumulative.le(1 - P);
        var length = sorted.shape[^1];
        Removal.Keep(remove, length - MinTokensToKeep, length);
        return Removal.ApplySorted(scores, remove, indices).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    /// <remarks>
    /// Only the candidates are sorted: every entry with p &lt; (1 - top_p) / (2 vocab) is removed whatever the order,
    /// since all of them together hold less than (1 - top_p) / 2 and an ascending sort puts them first. Ties are
    /// ordered with the lower token id last (kept first), see <see cref="RowRemoval.SortKey"/>.
    /// </remarks>
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores)
    {
        int vocab = scores.Length;
        using var probabilities = new PooledRow<double>(vocab);
        var p = probabilities.Span;
        if (!RowRemoval.Softmax(scores, p, out _, out _)) return;
        using var sortKeys = new PooledRow<ulong>(vocab);
        var keys = sortKeys.Span;
        double floor = (1 - P) / (2.0 * vocab), below = 0;
        int count = 0;
        for (int i = 0; i < vocab; i++)
            if (p[i] >= floor) keys[count++] = RowRemoval.SortKey(scores[i], i, lowerIndexFirst: false);
            else below += p[i];
        if (count < MinTokensToKeep) // the kept minimum reaches below the floor: sort everything
        {
            (count, below, floor) = (0, 0, double.NegativeInfinity);
            for (int i = 0; i < vocab; i++) keys[count++] = RowRemoval.SortKey(scores[i], i, lowerIndexFirst: false);
        }
        var sorted = keys[..count];
        sorted.Sort();
        for (int i = 0; i < vocab; i++)
            if (p[i] < floor) scores[i] = float.NegativeInfinity;
        // Ascending: c_j = mass of the entries up to j; remove while c_j <= 1 - top_p (compared in float32, as torch).
        float limit = (float)(1 - P);
        double cumulative = below;
        for (int j = 0; j < count - MinTokensToKeep; j++)
        {
            int i = RowRemoval.IndexOf(sorted[j], lowerIndexFirst: false);
            cumulative += p[i];
            if ((float)cumulative > limit) break;
            scores[i] = float.NegativeInfinity;
        }
    }
}
