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
}
