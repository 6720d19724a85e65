using GenCluster.Models.Runtime;
using GenCluster.Sampling;
using GenCluster.Sampling.Samplers;
using static TorchSharp.torch;

namespace GenCluster.Decoding;

/// <summary>
/// The autoregressive loop for a batch of prompts x N samples: one batched prefill, then one batched forward per
/// step over the sequences still running; logits processors and the sampler per prompt group; EOS, stop ids,
/// stop strings and max_new_tokens end a sequence, which then leaves the batch. Each <see cref="Step"/> is one
/// forward pass, so a host can persist, interleave or cancel between steps. Sequence i draws with seed
/// Derive(seed, i) at step = its token index, so a session rebuilt from its tokens continues identically.
/// </summary>
public sealed class GenerationSession : IBatchableRun
{
    sealed class Sequence(int prompt, ulong seed, ITextStream? text, StopStringMatcher stops, ITokenConstraint? constraint)
    {
        public ITokenConstraint? Constraint { get; } = constraint;
        public int Prompt { get; } = prompt;
        public ulong Seed { get; } = seed;
        public List<long> Generated { get; } = [];
        public ITextStream? Text { get; } = text;
        public StopStringMatcher Stops { get; } = stops;
        public FinishReason? Finish { get; set; }
    }

    readonly ICausalLM _model;
    readonly GenerationRequest _request;
    readonly long[][] _prompts;
    readonly ILogitsProcessor[] _pipelines;
    readonly Sequence[] _sequences;
    readonly HashSet<long> _eos, _stopIds;
    List<int> _active; // sequence index of each cache row
    KvCache? _cache;
    readonly System.Diagnostics.Stopwatch _clock = new();
    int _forwardPasses;

    /// <summary>Starts (or, given each sequence's tokens so far, resumes) a generation.</summary>
    public GenerationSession(ICausalLM model, GenerationRequest request, Func<int, ITextStream>? textFor = null,
        IReadOnlyList<IReadOnlyList<long>>? resumeFrom = null)
    {
        var p = request.Sampling.Validate();
        if (request.Prompts.Count == 0 || request.Prompts.Any(x => x.Count == 0))
            throw new ArgumentException("every prompt needs at least one token");
        int vocab = model.Config.VocabSize;
        foreach (var id in request.Prompts.SelectMany(x => x))
            if (id < 0 || id >= vocab) throw new ArgumentException($"prompt token id {id} is outside the model's vocabulary [0, {vocab})");
        _model = model;
        _request = request;
        _prompts = request.Prompts.Select(x => ContextWindow.Fit(x, p.MaxNewTokens, model.Config.MaxPositions, request.Overflow)).ToArray();
        _pipelines = _prompts.Select(x => LogitsPipeline.Build(p, x.Length, request.EosTokenIds)).ToArray();
        ulong seed = p.Seed ?? request.DefaultSeed;
        _sequences = Enumerable.Range(0, _prompts.Length * p.N)
            .Select(i => new Sequence(i / p.N, SeededUniform.Derive(seed, (ulong)i), textFor?.Invoke(i), new StopStringMatcher(p.Stop), request.Constraint?.Invoke(i)))
            .ToArray();
        _eos = request.EosTokenIds.ToHashSet();
        _stopIds = p.StopTokenIds.ToHashSet();
        if (resumeFrom != null)
        {
            if (resumeFrom.Count != _sequences.Length) throw new ArgumentException($"resume needs {_sequences.Length} token lists, got {resumeFrom.Count}");
            for (int i = 0; i < _sequences.Length; i++)
                foreach (var token in resumeFrom[i]) Replay(i, token);
        }
        _active = Enumerable.Range(0, _sequences.Length).Where(i => _sequences[i].Finish is null).ToList();
    }

    /// <summary>Number of sequences (prompts x N).</summary>
    public int SequenceCount => _sequences.Length;

    /// <summary>True when every sequence has finished.</summary>
    public bool IsFinished => _active.Count == 0;

    /// <summary>The (possibly truncated) prompt of a sequence.</summary>
    public IReadOnlyList<long> PromptOf(int sequence) => _prompts[_sequences[sequence].Prompt];

    /// <summary>Tokens generated so far by a sequence (ending with EOS when it stopped on it).</summary>
    public IReadOnlyList<long> Generated(int sequence) => _sequences[sequence].Generated;

    /// <summary>Why a sequence ended, or null while it runs.</summary>
    public FinishReason? FinishOf(int sequence) => _sequences[sequence].Finish;

    /// <summary>Counters so far.</summary>
    public GenerationStats Stats => new(_prompts.Sum(x => x.Length) * _request.Sampling.N, _sequences.Sum(s => s.Generated.Count), _forwardPasses, _clock.Elapsed.TotalSeconds);

    /// <summary>Runs one forward pass and returns one event per running sequence.</summary>
    public IReadOnlyList<GenerationEvent> Step() => IsFinished ? [] : Sample(Forward);

    /// <summary>
    /// The pass the next step needs when it is a plain cached decode step (one new token per running sequence on this
    /// session's KV cache); null when the next step runs its own forward (the prefill, a sliding-window restart) or the
    /// session has finished. The step's clock starts here.
    /// </summary>
    public CachedForward? NextForward()
    {
        if (IsFinished || !DecodesFromCache) return null;
        _clock.Start();
        return new CachedForward(DecodeRequest(), _cache!);
    }

    /// <inheritdoc />
    public IReadOnlyList<GenerationEvent> Step(ForwardResult decoded)
    {
        if (IsFinished || !DecodesFromCache) throw new InvalidOperationException("Step(result) finishes the pass NextForward returned; this session has none pending");
        if (decoded.Logits.shape is not [var rows, 1, _] || rows != _active.Count)
            throw new ArgumentException($"expected logits [{_active.Count}, 1, vocab] for the running sequences, got [{string.Join(", ", decoded.Logits.shape)}]", nameof(decoded));
        return Sample(() =>
        {
            _forwardPasses++;
            return decoded.Logits.select(1, 0);
        });
    }

    /// <summary>Gets the logits [active, vocab] of a forward pass, chooses every running sequence's next token and retires finished ones.</summary>
    IReadOnlyList<GenerationEvent> Sample(Func<Tensor> forward)
    {
        _clock.Start();
        try
        {
            using var scope = NewDisposeScope();
            var logits = forward();
            var events = new GenerationEvent[_active.Count];
            foreach (var group in Enumerable.Range(0, _active.Count).GroupBy(r => _sequences[_active[r]].Prompt))
                Choose(group.Key, group.ToArray(), logits, events);
            Compact();
            return events;
        }
        finally { _clock.Stop(); }
    }

    /// <summary>Ends every running sequence with finish reason cancelled.</summary>
    public IReadOnlyList<GenerationEvent> Cancel()
    {
        var events = _active.Select(i => Finish(i, FinishReason.Cancelled, new GenerationEvent(i, _sequences[i].Generated.Count - 1, -1, "", 0, []))).ToList();
        _active.Clear();
        _cache?.Dispose();
        _cache = null;
        return events;
    }

    /// <summary>Whether the next step feeds each running sequence's last token to the cache (else it prefills a new cache).</summary>
    bool DecodesFromCache => _cache is not null && _request.UseKvCache
        && !(_request.Overflow == ContextOverflow.Slide && _active.Any(i => ContextLength(i) > _model.Config.MaxPositions));

    /// <summary>Each running sequence's last token, one per cache row.</summary>
    ForwardRequest DecodeRequest() => ForwardRequest.Step(_active.Select(i => _sequences[i].Generated[^1]).ToArray());

    /// <summary>Logits [active, vocab] for the next token of every running sequence.</summary>
    Tensor Forward()
    {
        _forwardPasses++;
        if (DecodesFromCache)
        {
            using var step = _model.Forward(DecodeRequest(), _cache!);
            return step.Logits.select(1, 0);
        }
        _cache?.Dispose();
        // A fresh start with no tokens generated prefills each distinct prompt once and repeats its cache N times.
        bool fresh = _active.All(i => _sequences[i].Generated.Count == 0);
        var rows = fresh ? _active.Select(i => _sequences[i].Prompt).Distinct().ToList() : _active;
        var contexts = rows.Select(r => fresh ? _prompts[r] : Context(r)).ToArray();
        _cache = _model.CreateCache(contexts.Length, contexts.Max(c => c.Length) + _request.Sampling.MaxNewTokens + 1);
        using var result = _model.Forward(LeftPadded(contexts), _cache);
        var logits = result.Logits.select(1, 0);
        if (!fresh) return logits;
        var expand = _active.Select(i => (long)rows.IndexOf(_sequences[i].Prompt)).ToArray();
        _cache.Reorder(expand);
        return logits.index_select(0, tensor(expand, device: logits.device));
    }

    void Choose(int prompt, int[] cacheRows, Tensor logits, GenerationEvent[] events)
    {
        var p = _request.Sampling;
        var seqs = cacheRows.Select(r => _sequences[_active[r]]).ToArray();
        // A group of consecutive cache rows (every group, unless the rows interleave prompts) is a view, not a copy.
        bool consecutive = cacheRows.Select((r, i) => r - i).All(d => d == cacheRows[0]);
        var raw = consecutive ? logits.narrow(0, cacheRows[0], cacheRows.Length)
            : logits.index_select(0, tensor(cacheRows.Select(r => (long)r).ToArray(), device: logits.device));
        bool constrained = seqs.Any(s => s.Constraint is not null);
        Tensor processed;
        if (_pipelines[prompt] is LogitsChain { Stages.Count: 0 } && !constrained)
            processed = raw; // nothing reads the token history or changes the scores: the sampler takes the logits as they are
        else
        {
            // Constraints mask in place; the processors never modify their input, so without a constraint raw serves as is.
            var scores = constrained ? raw.clone() : raw;
            for (int r = 0; r < seqs.Length; r++) seqs[r].Constraint?.Mask(scores.narrow(0, r, 1));
            // CPU float32 rows are processed in place by the row stages; other scores (GPU) by the torch stages.
            processed = _pipelines[prompt].Process(InputIds(prompt, seqs, out int width), width, scores);
        }
        var choices = TokenSampler.Choose(p, raw, processed, seqs.Select(s => s.Seed).ToArray(), seqs.Select(s => (long)s.Generated.Count).ToArray(), p.TopLogprobs);
        for (int r = 0; r < seqs.Length; r++)
            events[cacheRows[r]] = Append(_active[cacheRows[r]], choices[r]);
    }

    /// <summary>Prompt and generated tokens of each sequence of a group, row-major [rows, width = prompt + generated] (what the processors read).</summary>
    long[] InputIds(int prompt, Sequence[] seqs, out int width)
    {
        width = _prompts[prompt].Length + seqs[0].Generated.Count;
        var ids = new long[seqs.Length * width];
        for (int r = 0; r < seqs.Length; r++)
        {
            _prompts[prompt].CopyTo(ids, r * width);
            seqs[r].Generated.CopyTo(ids, r * width + _prompts[prompt].Length);
        }
        return ids;
    }

    GenerationEvent Append(int index, TokenChoice choice)
    {
        var s = _sequences[index];
        s.Generated.Add(choice.TokenId);
        s.Constraint?.Advance(choice.TokenId);
        var text = s.Stops.Push(s.Text?.Push(choice.TokenId) ?? "");
        var ev = new GenerationEvent(index, s.Generated.Count - 1, choice.TokenId, text, choice.Logprob, choice.TopLogprobs);
        var reason = FinishFor(s);
        return reason is null ? ev : Finish(index, reason.Value, ev);
    }

    FinishReason? FinishFor(Sequence s) =>
        _eos.Contains(s.Generated[^1]) ? FinishReason.Eos
        : _stopIds.Contains(s.Generated[^1]) || s.Stops.Stopped ? FinishReason.Stop
        : s.Generated.Count >= _request.Sampling.MaxNewTokens ? FinishReason.Length
        : null;

    GenerationEvent Finish(int index, FinishReason reason, GenerationEvent last)
    {
        var s = _sequences[index];
        s.Finish = reason;
        var tail = reason == FinishReason.Stop && s.Stops.Stopped ? "" : s.Stops.Push(s.Text?.Flush() ?? "") + s.Stops.Flush();
        return last with { TextDelta = last.TextDelta + tail, Finish = reason };
    }

    /// <summary>Replays a token of a resumed sequence (text streams and stop matching see it again, nothing is emitted).</summary>
    void Replay(int index, long token)
    {
        var s = _sequences[index];
        if (s.Finish is not null) throw new ArgumentException($"sequence {index} has tokens after its end");
        s.Generated.Add(token);
        s.Constraint?.Advance(token);
        s.Stops.Push(s.Text?.Push(token) ?? "");
        if (FinishFor(s) is { } reason) s.Finish = reason;
    }

    void Compact()
    {
        var keep = Enumerable.Range(0, _active.Count).Where(r => _sequences[_active[r]].Finish is null).ToList();
        if (keep.Count == _active.Count) return;
        _active = keep.Select(r => _active[r]).ToList();
        if (_active.Count == 0)
        {
            _cache?.Dispose();
            _cache = null;
        }
        else _cache?.Reorder(keep.Select(r => (long)r).ToArray());
    }

    long[] Context(int index)
    {
        var s = _sequences[index];
        var all = _prompts[s.Prompt].Concat(s.Generated).ToArray();
        int window = _model.Config.MaxPositions;
        return _request.Overflow == ContextOverflow.Slide && all.Length > window ? all[^window..] : all;
    }

    int ContextLength(int index) => _prompts[_sequences[index].Prompt].Length + _sequences[index].Generated.Count;

    static ForwardRequest LeftPadded(long[][] rows)
    {
        int width = rows.Max(r => r.Length);
        var ids = new long[rows.Length, width];
        var mask = new long[rows.Length, width];
        for (int r = 0; r < rows.Length; r++)
            for (int t = 0; t < rows[r].Length; t++)
            {
                ids[r, width - rows[r].Length + t] = rows[r][t];
                mask[r, width - rows[r].Length + t] = 1;
            }
        return new ForwardRequest(ids) { AttentionMask = mask };
    }

    /// <summary>Releases the KV cache.</summary>
    public void Dispose() => _cache?.Dispose();
}
