using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>
/// Locally typical sampling (Meister et al. 2022; transformers' TypicalLogitsWarper): H = -sum p log p (terms with
/// p = 0 from -inf scores count as 0), sort tokens by |-log p_i - H| ascending, keep them while the cumulative
/// probability is below the mass, plus the first one reaching it (and everything tied with it), and at least
/// min_tokens_to_keep. Entries already -inf sort last (their distance is +inf).
/// </summary>
public sealed class Typical(double mass, int minTokensToKeep = 1) : ILogitsProcessor
{
    /// <summary>The probability mass kept, in (0, 1).</summary>
    public double Mass { get; } = mass;

    /// <summary>The filter never keeps fewer tokens than this.</summary>
    public int MinTokensToKeep { get; } = minTokensToKeep;

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores)
    {
        using var scope = NewDisposeScope();
        var logp = scores.log_softmax(-1);
        // -inf * 0 is NaN: transformers' nansum drops those terms.
        var entropy = logp.mul(logp.exp()).nan_to_num(0).sum(-1, keepdim: true).neg();
        var distance = logp.neg().sub(entropy).abs();
        var (sortedDistance, indices) = Removal.AscendingSort(distance, scores, candidatesAreLargest: false, MinTokensToKeep);
        var cumulative = scores.gather(-1, indices).softmax(-1).cumsum(-1);
        var lastIndex = cumulative.lt(Mass).sum(-1, keepdim: true).clamp_max(sortedDistance.shape[^1] - 1);
        var remove = sortedDistance.gt(sortedDistance.gather(-1, lastIndex));
        Removal.Keep(remove, 0, MinTokensToKeep);
        return Removal.ApplySorted(scores, remove, indices).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    /// <remarks>
    /// The distances are float32 from log p = (s - max) - log Σ exp(s - max), the steps of torch's log_softmax, so
    /// tokens with equal scores have equal distances; ties in distance are ordered by index (a stable sort).
    /// Entries already -inf are left out of the sort (they would sort last and stay -inf).
    /// </remarks>
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores)
    {
        int vocab = scores.Length;
        using var probabilities = new PooledRow<double>(vocab);
        var p = probabilities.Span;
        if (!RowRemoval.Softmax(scores, p, out var max, out var logSum)) return;
        float entropy = (float)RowRemoval.Entropy(scores, p, max, logSum), logSumF = (float)logSum;
        using var sortKeys = new PooledRow<ulong>(vocab);
        using var distances = new PooledRow<float>(vocab);
        Span<ulong> keys = sortKeys.Span;
        Span<float> distance = distances.Span;
        int count = 0;
        for (int i = 0; i < vocab; i++)
        {
            if (float.IsNegativeInfinity(scores[i])) continue;
            distance[i] = MathF.Abs(-(scores[i] - max - logSumF) - entropy);
            keys[count++] = RowRemoval.SortKey(distance[i], i);
        }
        var sorted = keys[..count];
        sorted.Sort();
        // Keep up to the first position whose cumulative mass reaches the mass (compared in float32, as torch).
        float mass = (float)Mass;
        int last = 0;
        for (double cumulative = 0; last < count - 1; last++)
            if ((float)(cumulative += p[RowRemoval.IndexOf(sorted[last])]) >= mass) break;
        float limit = distance[RowRemoval.IndexOf(sorted[last])];
        for (int j = MinTokensToKeep; j < count; j++)
        {
            int i = RowRemoval.IndexOf(sorted[j]);
            if (distance[i] > limit) scores[i] = float.NegativeInfinity;
        }
    }
}
