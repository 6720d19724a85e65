using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>The masking steps the filters share: removed entries become -inf (transformers' filter_value).</summary>
static class Removal
{
    /// <summary>Sets the entries of <paramref name="scores"/> where <paramref name="remove"/> is true to -inf.</summary>
    public static Tensor Apply(Tensor scores, Tensor remove) => scores.masked_fill(remove, float.NegativeInfinity);

    /// <summary>Maps a mask over sorted positions back to vocabulary order (transformers' scatter(1, sorted_indices, mask)) and applies it.
    /// Entries left out of a truncated sort (see <see cref="AscendingSort"/>) are not touched.</summary>
    public static Tensor ApplySorted(Tensor scores, Tensor sortedRemove, Tensor sortedIndices) =>
        Apply(scores, zeros_like(scores, dtype: ScalarType.Bool).scatter_(1, sortedIndices, sortedRemove));

    /// <summary>
    /// Ascending sort of <paramref name="key"/> along the vocabulary, as the sort-based filters need. When most scores
    /// are already -inf (after top-k) only the candidates are sorted: the k = max finite count per row entries with the
    /// largest (or smallest) keys, by topk. Exact, because the left-out entries are -inf: they add 0 to every
    /// cumulative probability and stay -inf whatever the filter decides for them.
    /// </summary>
    public static (Tensor Values, Tensor Indices) AscendingSort(Tensor key, Tensor scores, bool candidatesAreLargest, int minTokensToKeep)
    {
        var vocab = scores.shape[^1];
        var k = Math.Max(scores.isfinite().sum(-1).max().item<long>(), Math.Min(minTokensToKeep, vocab));
        if (k * 4 > vocab) return key.sort(-1, descending: false);
        var (values, indices) = key.topk((int)k, largest: candidatesAreLargest, sorted: true);
        return candidatesAreLargest ? (values.flip(-1), indices.flip(-1)) : (values, indices);
    }

    /// <summary>Clears the mask on sorted positions [from, to) in place, e.g. the min_tokens_to_keep best ones.</summary>
    public static Tensor Keep(Tensor sortedRemove, long from, long to)
    {
        var vocab = sortedRemove.shape[^1];
        from = Math.Clamp(from, 0, vocab);
        to = Math.Clamp(to, 0, vocab);
        if (to <= from) return sortedRemove;
        using var positions = arange(from, to, dtype: int64, device: sortedRemove.device);
        return sortedRemove.index_fill_(1, positions, false);
    }

    /// <summary>
    /// Mask of the entries whose probability is below <paramref name="threshold"/> and that are not among the
    /// <paramref name="minTokensToKeep"/> highest scores (transformers' Epsilon/Eta warpers: entries tied with the
    /// min_tokens_to_keep-th highest score are kept too).
    /// </summary>
    public static Tensor BelowProbability(Tensor scores, Tensor probabilities, Tensor threshold, int minTokensToKeep)
    {
        var k = (int)Math.Min(minTokensToKeep, scores.shape[^1]);
        var kth = scores.topk(k).values.narrow(-1, k - 1, 1);
        return probabilities.lt(threshold).logical_and_(scores.lt(kth));
    }
}
