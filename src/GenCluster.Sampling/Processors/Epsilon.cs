using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>
/// Epsilon sampling (Hewitt et al. 2022, "Truncation Sampling as Language Model Desmoothing"; transformers'
/// EpsilonLogitsWarper): remove token i when p_i &lt; epsilon, keeping the min_tokens_to_keep highest scores.
/// </summary>
public sealed class Epsilon(double epsilon, int minTokensToKeep = 1) : ILogitsProcessor
{
    /// <summary>The probability floor, in (0, 1).</summary>
    public double Cutoff { get; } = epsilon;

    /// <summary>The filter never keeps fewer tokens than this.</summary>
    public int MinTokensToKeep { get; } = minTokensToKeep;

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores)
    {
        using var scope = NewDisposeScope();
        var probs = scores.softmax(-1);
        var threshold = full(1, 1, (float)Cutoff, dtype: probs.dtype, device: probs.device);
        var remove = Removal.BelowProbability(scores, probs, threshold, MinTokensToKeep);
        return Removal.Apply(scores, remove).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores)
    {
        using var probabilities = new PooledRow<double>(scores.Length);
        var p = probabilities.Span;
        if (!RowRemoval.Softmax(scores, p, out _, out _)) return;
        RowRemoval.RemoveBelowProbability(scores, p, (float)Cutoff, MinTokensToKeep);
    }
}
