using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>The masking steps the filters share: removed entries become -inf (transformers' filter_value).</summary>
static class Removal
{
    /// <summary>Sets the entries of <paramref name="scores"/> where <paramref name="remove"/> is true to -inf.</summary>
    public static Tensor Apply(Tensor scores, Tensor remove) => scores.masked_fill(remove, float.NegativeInfinity);

    /// <summary>Maps a mask over sorted positions back to vocabulary order (transformers' scatter(1, sorted_indices, mask)) and applies it.</summary>
    public static Tensor ApplySorted(Tensor scores, Tensor sortedRemove, Tensor sortedIndices) =>
        Apply(scores, sortedRemove.scatter(1, sortedIndices, sortedRemove));

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
