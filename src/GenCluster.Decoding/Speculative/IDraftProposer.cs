using GenCluster.Sampling;

namespace GenCluster.Decoding.Speculative;

/// <summary>Tokens proposed after a context, with the distribution each was drawn from (null: chosen deterministically).</summary>
public sealed record DraftProposal(IReadOnlyList<long> Tokens, IReadOnlyList<double[]?> Distributions)
{
    /// <summary>No proposal: the round is a plain target step.</summary>
    public static DraftProposal None { get; } = new([], []);
}

/// <summary>Proposes continuations for the target to verify: a draft model, or n-gram lookup in the context.</summary>
public interface IDraftProposer : IDisposable
{
    /// <summary>Forward passes of a draft model so far (0 for model-free proposers).</summary>
    int ForwardPasses { get; }

    /// <summary>
    /// Proposes up to <paramref name="count"/> tokens after <paramref name="context"/>; the first is generated token
    /// number <paramref name="firstIndex"/>. Drafts from a model use the same processors as the target (<paramref name="scorer"/>).
    /// </summary>
    DraftProposal Propose(IReadOnlyList<long> context, int count, SamplingParams sampling, PositionScorer scorer, ulong seed, long firstIndex);

    /// <summary>The verified context (it may diverge from the proposal after the accepted prefix): drop state past the common prefix.</summary>
    void Accept(IReadOnlyList<long> context);
}
