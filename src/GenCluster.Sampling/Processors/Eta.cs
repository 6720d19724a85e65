using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>
/// Eta sampling (Hewitt et al. 2022; transformers' EtaLogitsWarper): remove token i when
/// p_i &lt; eta = min(epsilon, sqrt(epsilon) * exp(-H)), H the entropy of the row (entries at -inf contribute 0),
/// keeping the min_tokens_to_keep highest scores. Computed in float32 like torch.distributions.Categorical.
/// </summary>
public sealed class Eta(double epsilon, int minTokensToKeep = 1) : ILogitsProcessor
{
    /// <summary>The epsilon of the formula, in (0, 1).</summary>
    public double Cutoff { get; } = epsilon;

    /// <summary>The filter never keeps fewer tokens than this.</summary>
    public int MinTokensToKeep { get; } = minTokensToKeep;

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores)
    {
        using var scope = NewDisposeScope();
        var probs = scores.softmax(-1);
        // torch.distributions.Categorical(logits).entropy(): log-probabilities clamped to finfo.min so that -inf * 0 is 0.
        var logp = scores.sub(scores.logsumexp(-1, keepdim: true)).clamp_min(float.MinValue);
        var entropy = logp.mul(probs).sum(-1, keepdim: true).neg();
        var epsilon = (float)Cutoff;
        var eta = entropy.neg().exp().mul(MathF.Sqrt(epsilon)).clamp_max(epsilon);
        var remove = Removal.BelowProbability(scores, probs, eta, MinTokensToKeep);
        return Removal.Apply(scores, remove).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores)
    {
        using var probabilities = new PooledRow<double>(scores.Length);
        var p = probabilities.Span;
        if (!RowRemoval.Softmax(scores, p, out var max, out var logSum)) return;
        float epsilon = (float)Cutoff;
        double eta = Math.Min(epsilon, MathF.Sqrt(epsilon) * Math.Exp(-RowRemoval.Entropy(scores, p, max, logSum)));
        RowRemoval.RemoveBelowProbability(scores, p, eta, MinTokensToKeep);
    }
}
