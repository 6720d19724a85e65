using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>
/// CTRL repetition penalty (Keskar et al. 2019; transformers' RepetitionPenaltyLogitsProcessor): for every token present
/// in the prompt or the generated tokens, s' = s / penalty when s &gt;= 0 and s * penalty when s &lt; 0.
/// Each token is penalised once however often it occurs.
/// </summary>
public sealed class RepetitionPenalty(double penalty) : ILogitsProcessor
{
    /// <summary>The penalty (&gt; 1 discourages repetition, &lt; 1 encourages it).</summary>
    public double Penalty { get; } = penalty;

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores)
    {
        using var scope = NewDisposeScope();
        var ids = inputIds.to(scores.device);
        var seen = scores.gather(1, ids);
        var penalised = where(seen.lt(0), seen.mul(Penalty), seen.div(Penalty));
        return scores.scatter(1, ids, penalised).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores)
    {
        using var buffer = new PooledRow<bool>(scores.Length);
        var seen = buffer.Span;
        seen.Clear();
        float penalty = (float)Penalty;
        foreach (var id in inputIds)
        {
            int j = RowTokens.Index(id, scores.Length);
            if (seen[j]) continue; // once per token, as the gather-then-scatter above
            seen[j] = true;
            scores[j] = scores[j] < 0 ? scores[j] * penalty : scores[j] / penalty;
        }
    }
}
