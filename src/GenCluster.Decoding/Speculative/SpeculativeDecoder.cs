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
public sealed class SpeculativeDecoder : IGenerationRun
{
    readonly ICausalLM _target;
    readonly IDraftProposer _proposer;
    readonly SamplingParams _sampling;
    readonly PositionScorer _scorer;
    readonly DecodedSequence _sequence;
    readonly KvCache _cache;
    readonly int _lookahead;
    readonly ulong _seed;
    readonly System.Diagnostics.Stopwatch _clock = new();
    int _targetCached, _forwards, _rounds, _proposed, _accepted;

    /// <summary>
    /// Decodes the single prompt of <paramref name="request"/> (n = 1, no constraint) with up to
    /// <paramref name="lookahead"/> proposals per step. The proposer is owned (disposed) by the decoder.
    /// </summary>
    public SpeculativeDecoder(ICausalLM target, IDraftProposer proposer, GenerationRequest request, int lookahead, ITextStream? text = null)
    {
        _sampling = request.Sampling.Validate();
        if (lookahead < 1) throw new ArgumentOutOfRangeException(nameof(lookahead), $"lookahead must be >= 1, got {lookahead}");
        if (request.Prompts.Count != 1 || _sampling.N != 1)
            throw new ArgumentException($"speculative decoding generates one sequence: give one prompt and n = 1 (got {request.Prompts.Count} prompts, n = {_sampling.N})");
        if (request.Constraint is not null) throw new ArgumentException("speculative decoding does not support token constraints (JSON schema); use the plain loop");
        if (request.Overflow == ContextOverflow.Slide) throw new ArgumentException("speculative decoding needs the whole context in the KV cache: use --context-overflow error or truncate-left, not slide");
        if (!request.UseKvCache) throw new ArgumentException("speculative decoding rolls back the KV cache and cannot run without it");
        if (request.Prompts[0].Count == 0) throw new ArgumentException("the prompt needs at least one token");
        foreach (var id in request.Prompts[0])
            if (id < 0 || id >= target.Config.VocabSize) throw new ArgumentException($"prompt token id {id} is outside the model's vocabulary [0, {target.Config.VocabSize})");
        var prompt = ContextWindow.Fit(request.Prompts[0], _sampling.MaxNewTokens, target.Config.MaxPositions, request.Overflow);
        (_target, _proposer, _lookahead) = (target, proposer, lookahead);
        _scorer = new PositionScorer(LogitsPipeline.Build(_sampling, prompt.Length, request.EosTokenIds));
        _sequence = new DecodedSequence(prompt, _sampling, request.EosTokenIds, text);
        _seed = SeededUniform.Derive(_sampling.Seed ?? request.DefaultSeed, 0);
        _cache = target.CreateCache(1, prompt.Length + _sampling.MaxNewTokens + lookahead + 1);
    }

    /// <summary>Speculative decoding with a draft model, after checking that draft and target share a vocabulary.</summary>
    public static SpeculativeDecoder WithDraft(LoadedModel target, LoadedModel draft, GenerationRequest request, int lookahead, ITextStream? text = null)
    {
        VocabularyCompatibility.Check(target, draft);
        return new SpeculativeDecoder(target.Model, new DraftModelProposer(draft.Model), request, lookahead, text);
    }

    /// <summary>Prompt-lookup decoding: proposals copied from earlier occurrences of the last n-gram.</summary>
    public static SpeculativeDecoder WithPromptLookup(ICausalLM target, GenerationRequest request, int lookahead, int ngram = 3, ITextStream? text = null) =>
        new(target, new PromptLookupProposer(ngram), request, lookahead, text);

    /// <summary>Always 1.</summary>
    public int SequenceCount => 1;

    /// <summary>True once the sequence has finished.</summary>
    public bool IsFinished => _sequence.Finish is not null;

    /// <summary>The (possibly truncated) prompt.</summary>
    public IReadOnlyList<long> PromptOf(int sequence) => _sequence.Prompt;

    /// <summary>Tokens generated so far.</summary>
    public IReadOnlyList<long> Generated(int sequence) => _sequence.Generated;

    /// <summary>Why the sequence ended, or null while it runs.</summary>
    public FinishReason? FinishOf(int sequence) => _sequence.Finish;

    /// <summary>Counters in the plain loop's shape (forward passes = target forward passes).</summary>
    public GenerationStats Stats => new(_sequence.Prompt.Count, _sequence.Generated.Count, _forwards, _clock.Elapsed.TotalSeconds);

    /// <summary>Draft/verify counters.</summary>
    public SpeculativeStats SpeculativeStats => new(_forwards, _proposer.ForwardPasses, _rounds, _proposed, _accepted, _sequence.Generated.Count, _clock.Elapsed.TotalSeconds);

    /// <summary>One round: propose, verify in one target forward, emit the accepted tokens and the target's token.</summary>
    public IReadOnlyList<GenerationEvent> Step()
    {
        if (IsFinished) return [];
        _clock.Start();
        try
        {
            using var scope = NewDisposeScope();
            var context = _sequence.Context.ToArray();
            // Never propose past max_new_tokens (the target adds one token) or past the context window.
            int k = Math.Min(_lookahead, Math.Min(_sequence.Remaining - 1, _target.Config.MaxPositions - context.Length - 1));
            long firstIndex = _sequence.Generated.Count;
            var proposal = k > 0 ? _proposer.Propose(context, k, _sampling, _scorer, _seed, firstIndex) : DraftProposal.None;
            var drafts = proposal.Tokens;
            var logits = Verify(context, drafts);
            var scores = Enumerable.Range(0, drafts.Count + 1).Select(i => _scorer.Process(context, drafts.Take(i).ToArray(), logits[i])).ToArray();
            var verdict = _sampling.IsGreedy
                ? SpeculativeAcceptance.Greedy(drafts, scores)
                : SpeculativeAcceptance.Sample(drafts, proposal.Distributions, scores.Select(s => CategoricalDraw.Probabilities(s)).ToArray(), _seed, firstIndex);
            _rounds++;
            _proposed += drafts.Count;
            _accepted += verdict.Accepted;
            // The target cache keeps the context and the accepted proposals; the new token is verified next round.
            _targetCached = context.Length + verdict.Accepted;
            _cache.Truncate(_targetCached);
            var raw = PositionScorer.RawLogprobs(logits.narrow(0, 0, verdict.Accepted + 1));
            var emitted = drafts.Take(verdict.Accepted).Append(verdict.Next).ToArray();
            var events = new List<GenerationEvent>();
            for (int i = 0; i < emitted.Length && !IsFinished; i++)
                events.Add(_sequence.Append(emitted[i], raw[i][emitted[i]]));
            if (!IsFinished) _proposer.Accept(_sequence.Context);
            return events;
        }
        finally { _clock.Stop(); }
    }

    /// <summary>Target logits [K + 1, V]: after the last context token and after each proposal.</summary>
    Tensor Verify(long[] context, IReadOnlyList<long> drafts)
    {
        var tokens = context.Skip(_targetCached).Concat(drafts).ToArray();
        using var result = _target.Forward(ForwardRequest.Single(tokens, OutputPositions.All), _cache);
        _forwards++;
        return result.Logits[0].narrow(0, tokens.Length - drafts.Count - 1, drafts.Count + 1).clone();
    }

    /// <summary>Ends the sequence with finish reason cancelled.</summary>
    public IReadOnlyList<GenerationEvent> Cancel() => IsFinished ? [] : [_sequence.Cancel()];

    /// <summary>Releases the target cache and the proposer.</summary>
    public void Dispose()
    {
        _cache.Dispose();
        _proposer.Dispose();
    }
}
