using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>
/// Top-k filtering (Fan et al. 2018; transformers' TopKLogitsWarper): with k' = min(max(k, min_tokens_to_keep), vocab),
/// remove every score strictly below the k'-th highest, so entries tied with the k'-th are all kept.
/// </summary>
public sealed class TopK(int k, int minTokensToKeep = 1) : ILogitsProcessor
{
    /// <summary>The number of highest scores kept (before clipping to the vocabulary).</summary>
    public int K { get; } = Math.Max(k, minTokensToKeep);

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores)
    {
        using var scope = NewDisposeScope();
        var k = (int)Math.Min(K, scores.shape[^1]);
        var kth = scores.topk(k).values.narrow(-1, k - 1, 1);
        return Removal.Apply(scores, scores.lt(kth)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores) =>
        RowRemoval.RemoveBelow(scores, RowRemoval.KthLargest(scores, Math.Min(K, scores.Length)));
}
