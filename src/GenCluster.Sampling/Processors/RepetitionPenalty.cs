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
}
