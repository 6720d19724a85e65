using GenCluster.Models;
using GenCluster.Models.Runtime;
using GenCluster.Sampling;
using GenCluster.Sampling.Samplers;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Speculative;

/// <summary>
/// Speculative decoding of one sequence: each <see cref="Step"/> lets the proposer (a draft model, or prompt lookup)
/// propose up to K tokens, scores the last unverified token and all K proposals in ONE target forward
/// (Outputs = All: K + 1 distributions), keeps the accepted prefix by <see cref="SpeculativeAcceptance"/> and emits it
/// plus one token from the target. The target cache is truncated to the accepted prefix; nothing accepted is recomputed.
/// Greedy output equals the plain greedy loop's; sampled output follows the target's processed distribution.
/// </summary>
public sealed class SpeculativeDecoder : SingleSequenceRun
{
    readonly IDraftProposer _proposer;
    readonly int _lookahead;
    int _targetCached;

    /// <summary>
    /// Decodes the single prompt of <paramref name="request"/> (n = 1, no constraint) with up to
    /// <paramref name="lookahead"/> proposals per step. The proposer is owned (disposed) by the decoder. Given the tokens
    /// generated so far (<paramref name="resumeFrom"/>), it continues after them.
    /// </summary>
    public SpeculativeDecoder(ICausalLM target, IDraftProposer proposer, GenerationRequest request, int lookahead, ITextStream? text = null, IReadOnlyList<long>? resumeFrom = null)
        : base("speculative", target, request, lookahead, text, resumeFrom)
    {
        if (lookahead < 1) throw new ArgumentOutOfRangeException(nameof(lookahead), $"lookahead must be >= 1, got {lookahead}");
        (_proposer, _lookahead) = (proposer, lookahead);
    }

    /// <summary>Speculative decoding with a draft model, after checking that draft and target share a vocabulary.</summary>
    public static SpeculativeDecoder WithDraft(LoadedModel target, LoadedModel draft, GenerationRequest request, int lookahead, ITextStream? text = null, IReadOnlyList<long>? resumeFrom = null) =>
        WithDraft(target, draft, draft.Model, request, lookahead, text, resumeFrom);

    /// <summary>
    /// Speculative decoding whose draft forwards go through <paramref name="draftModel"/> (e.g. a wrapper running them on
    /// the draft's own thread), after checking that <paramref name="draft"/> and the target share a vocabulary.
    /// </summary>
    public static SpeculativeDecoder WithDraft(LoadedModel target, LoadedModel draft, ICausalLM draftModel, GenerationRequest request, int lookahead,
        ITextStream? text = null, IReadOnlyList<long>? resumeFrom = null)
    {
        VocabularyCompatibility.Check(target, draft);
        return new SpeculativeDecoder(target.Model, new DraftModelProposer(draftModel), request, lookahead, text, resumeFrom);
    }

    /// <summary>Prompt-lookup decoding: proposals copied from earlier occurrences of the last n-gram.</summary>
    public static SpeculativeDecoder WithPromptLookup(ICausalLM target, GenerationRequest request, int lookahead, int ngram = 3, ITextStream? text = null,
        IReadOnlyList<long>? resumeFrom = null) =>
        new(target, new PromptLookupProposer(ngram), request, lookahead, text, resumeFrom);

    /// <summary>Draft forward passes.</summary>
    protected override int DraftForwards => _proposer.ForwardPasses;

    /// <summary>One round: propose, verify in one target forward, emit the accepted tokens and the target's token.</summary>
    protected override IReadOnlyList<GenerationEvent> Round()
    {
        var context = Sequence.Context.ToArray();
        // Never propose past max_new_tokens (the target adds one token) or past the context window.
        int k = Math.Min(_lookahead, Math.Min(Sequence.Remaining - 1, Target.Config.MaxPositions - context.Length - 1));
        long firstIndex = Sequence.Generated.Count;
        var proposal = k > 0 ? _proposer.Propose(context, k, Sampling, Scorer, Seed, firstIndex) : DraftProposal.None;
        var drafts = proposal.Tokens;
        var logits = Verify(context, drafts);
        var scores = Scorer.ProcessRows(context, drafts, logits);
        var verdict = Sampling.IsGreedy
            ? SpeculativeAcceptance.Greedy(drafts, scores)
            : SpeculativeAcceptance.Sample(drafts, proposal.Distributions, new LazyRows<double[]>(scores.Count, i => CategoricalDraw.Probabilities(scores[i])), Seed, firstIndex);
        Rounds++;
        Proposed += drafts.Count;
        Accepted += verdict.Accepted;
        // The target cache keeps the context and the accepted proposals; the new token is verified next round.
        _targetCached = context.Length + verdict.Accepted;
        Cache.Truncate(_targetCached);
        var emitted = drafts.Take(verdict.Accepted).Append(verdict.Next).ToArray();
        var events = Emit(emitted, PositionScorer.RawLogprobs(logits.narrow(0, 0, verdict.Accepted + 1), emitted));
        if (!IsFinished) _proposer.Accept(Sequence.Context);
        return events;
    }

    /// <summary>Target logits [K + 1, V]: after the last context token and after each proposal.</summary>
    Tensor Verify(long[] context, IReadOnlyList<long> drafts)
    {
        var tokens = context.Skip(_targetCached).Concat(drafts).ToArray();
        using var result = Target.Forward(ForwardRequest.Single(tokens, OutputPositions.All), Cache);
        Forwards++;
        return result.Logits[0].narrow(0, tokens.Length - drafts.Count - 1, drafts.Count + 1).clone();
    }

    /// <summary>Releases the target cache and the proposer.</summary>
    public override void Dispose()
    {
        _proposer.Dispose();
        base.Dispose();
    }
}
