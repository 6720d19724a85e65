using GenCluster.Decoding.Speculative;
using GenCluster.Models.Runtime;
using GenCluster.Sampling;
using GenCluster.Sampling.Samplers;
using static TorchSharp.torch;

namespace GenCluster.Decoding;

/// <summary>
/// What draft-and-verify decoders (speculative, prompt lookup, Medusa) share: one sequence (one prompt, n = 1) fitted
/// to the context window, its processors, its seed Derive(seed, 0), its target KV cache, stopping rules and counters.
/// Each <see cref="Step"/> is one verification round: one target forward, one or more tokens.
/// </summary>
public abstract class SingleSequenceRun : IGenerationRun
{
    readonly System.Diagnostics.Stopwatch _clock = new();

    /// <summary>
    /// Validates the request for <paramref name="method"/> and prepares the sequence and the target cache; given the tokens
    /// generated so far (<paramref name="resumeFrom"/>), the first round prefills them and continues (draws are addressed by token index).
    /// </summary>
    protected SingleSequenceRun(string method, ICausalLM target, GenerationRequest request, int extraCapacity, ITextStream? text, IReadOnlyList<long>? resumeFrom = null)
    {
        Sampling = request.Sampling.Validate();
        if (request.Prompts.Count != 1 || Sampling.N != 1)
            throw new ArgumentException($"{method} decoding generates one sequence: give one prompt and n = 1 (got {request.Prompts.Count} prompts, n = {Sampling.N})");
        if (request.Constraint is not null) throw new ArgumentException($"{method} decoding does not support token constraints (JSON schema); use the plain loop");
        if (request.Overflow == ContextOverflow.Slide) throw new ArgumentException($"{method} decoding needs the whole context in the KV cache: use --context-overflow error or truncate-left, not slide");
        if (!request.UseKvCache) throw new ArgumentException($"{method} decoding edits the KV cache and cannot run without it");
        if (request.Prompts[0].Count == 0) throw new ArgumentException("the prompt needs at least one token");
        foreach (var id in request.Prompts[0])
            if (id < 0 || id >= target.Config.VocabSize) throw new ArgumentException($"prompt token id {id} is outside the model's vocabulary [0, {target.Config.VocabSize})");
        var prompt = ContextWindow.Fit(request.Prompts[0], Sampling.MaxNewTokens, target.Config.MaxPositions, request.Overflow);
        Target = target;
        Scorer = new PositionScorer(LogitsPipeline.Build(Sampling, prompt.Length, request.EosTokenIds));
        Sequence = new DecodedSequence(prompt, Sampling, request.EosTokenIds, text);
        Seed = SeededUniform.Derive(Sampling.Seed ?? request.DefaultSeed, 0);
        Cache = target.CreateCache(1, prompt.Length + Sampling.MaxNewTokens + extraCapacity + 1);
        foreach (var token in resumeFrom ?? []) Sequence.Append(token, 0);
    }

    /// <summary>The verifying model.</summary>
    protected ICausalLM Target { get; }
    /// <summary>The target's KV cache (batch 1, one slot per token).</summary>
    protected KvCache Cache { get; }
    /// <summary>The validated sampling parameters.</summary>
    protected SamplingParams Sampling { get; }
    /// <summary>The sequence's logits processors, applied per position.</summary>
    protected PositionScorer Scorer { get; }
    /// <summary>Tokens and stopping rules.</summary>
    protected DecodedSequence Sequence { get; }
    /// <summary>The sequence seed; generated token i draws from (Seed, i, stream).</summary>
    protected ulong Seed { get; }
    /// <summary>Counters the rounds update.</summary>
    protected int Forwards, Rounds, Proposed, Accepted;

    /// <summary>Draft forward passes (0 without a draft model).</summary>
    protected virtual int DraftForwards => 0;

    /// <summary>Always 1.</summary>
    public int SequenceCount => 1;

    /// <summary>True once the sequence has finished.</summary>
    public bool IsFinished => Sequence.Finish is not null;

    /// <summary>The (possibly truncated) prompt.</summary>
    public IReadOnlyList<long> PromptOf(int sequence) => Sequence.Prompt;

    /// <summary>Tokens generated so far.</summary>
    public IReadOnlyList<long> Generated(int sequence) => Sequence.Generated;

    /// <summary>Why the sequence ended, or null while it runs.</summary>
    public FinishReason? FinishOf(int sequence) => Sequence.Finish;

    /// <summary>Counters in the plain loop's shape (forward passes = target forward passes).</summary>
    public GenerationStats Stats => new(Sequence.Prompt.Count, Sequence.Generated.Count, Forwards, _clock.Elapsed.TotalSeconds);

    /// <summary>Draft/verify counters.</summary>
    public SpeculativeStats SpeculativeStats => new(Forwards, DraftForwards, Rounds, Proposed, Accepted, Sequence.Generated.Count, _clock.Elapsed.TotalSeconds);

    /// <summary>One verification round; returns the events of the tokens it emitted.</summary>
    public IReadOnlyList<GenerationEvent> Step()
    {
        if (IsFinished) return [];
        _clock.Start();
        try
        {
            using var scope = NewDisposeScope();
            return Round();
        }
        finally { _clock.Stop(); }
    }

    /// <summary>The method's round (called inside a dispose scope, with the sequence still running).</summary>
    protected abstract IReadOnlyList<GenerationEvent> Round();

    /// <summary>Appends tokens until one ends the sequence.</summary>
    protected List<GenerationEvent> Emit(IReadOnlyList<long> tokens, IReadOnlyList<float> logprobs)
    {
        var events = new List<GenerationEvent>();
        for (int i = 0; i < tokens.Count && !IsFinished; i++) events.Add(Sequence.Append(tokens[i], logprobs[i]));
        return events;
    }

    /// <summary>Ends the sequence with finish reason cancelled.</summary>
    public IReadOnlyList<GenerationEvent> Cancel() => IsFinished ? [] : [Sequence.Cancel()];

    /// <summary>Releases the target cache.</summary>
    public virtual void Dispose()
    {
        Cache.Dispose();
        GC.SuppressFinalize(this);
    }
}
