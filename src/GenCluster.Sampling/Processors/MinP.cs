using GenCluster.Sampling.Samplers;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>
/// Min-p filtering (Nguyen et al. 2024, "Turning Up the Heat: Min-p Sampling"; transformers' MinPLogitsWarper):
/// remove token i when p_i &lt; min_p * max_j p_j, keeping the min_tokens_to_keep highest scores regardless.
/// </summary>
public sealed class MinP(double minP, int minTokensToKeep = 1) : ILogitsProcessor
{
    /// <summary>The fraction of the top probability a token needs, in [0, 1].</summary>
    public double Fraction { get; } = minP;

    /// <summary>The filter never keeps fewer tokens than this.</summary>
    public int MinTokensToKeep { get; } = minTokensToKeep;

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores)
    {
        using var scope = NewDisposeScope();
        var probs = scores.softmax(-1);
        var scaledMinP = probs.amax([-1], keepdim: true).mul(Fraction);
        var remove = probs.lt(scaledMinP);
        // The top token always survives (its probability is the maximum), so with one token to keep the sort is moot.
        if (MinTokensToKeep <= 1) return Removal.Apply(scores, remove).MoveToOuterDisposeScope();
        var indices = scores.argsort(-1, descending: true);
        var sortedRemove = remove.gather(-1, indices);
        Removal.Keep(sortedRemove, 0, MinTokensToKeep);
        return Removal.ApplySorted(scores, sortedRemove, indices).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    /// <remarks>p_i &lt; min_p * p_max is w_i &lt; min_p with w_i = exp(s_i - max s) (w_max = 1), compared in float64.</remarks>
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores)
    {
        float max = ScoreRows.Max(scores);
        if (!float.IsFinite(max)) return; // torch's probabilities are NaN: nothing compares below the threshold
        using var weights = new PooledRow<double>(scores.Length);
        var w = weights.Span;
        ScoreRows.ExpShifted(scores, max, w);
        using var kept = new PooledRow<bool>(scores.Length);
        var keep = kept.Span;
        if (MinTokensToKeep > 1) RowRemoval.MarkHighest(scores, MinTokensToKeep, keep);
        else keep.Clear();
        for (int i = 0; i < scores.Length; i++)
            if (w[i] < Fraction && !keep[i]) scores[i] = float.NegativeInfinity;
    }
}
