using GenCluster.Models.Runtime;
using GenCluster.Sampling;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Beam;

/// <summary>
/// Beam search with transformers' 4.42 semantics (<c>_beam_search</c> + <c>BeamSearchScorer</c>): each step scores
/// every beam's next token by log_softmax, applies the logits processors to those log-probs, adds the beam's running
/// score, keeps the top max(2, 1 + #eos) x num_beams candidates, moves candidates ending in EOS (ranked within the
/// first num_beams) to the finished <see cref="BeamHypotheses"/> and continues the best num_beams others. The prompt is
/// prefilled once and its cache reordered to the beams, then reordered by the chosen beams at every step.
/// One <see cref="Step"/> is one forward pass; <see cref="State"/> is plain data from which the search can be rebuilt.
/// </summary>
public sealed class BeamSearch : IDisposable
{
    readonly ICausalLM _model;
    readonly BeamSearchRequest _request;
    readonly long[] _prompt;
    readonly ILogitsProcessor _processors;
    readonly BeamHypotheses _finished;
    readonly HashSet<long> _eos;
    BeamRow[] _beams;
    int _step;
    bool _done;
    KvCache? _cache;
    long[] _cacheRowOf; // cache row holding each beam's context
    int _forwardPasses;

    /// <summary>Starts a search, or rebuilds one from a persisted <see cref="BeamState"/> (prefilling each beam's tokens).</summary>
    public BeamSearch(ICausalLM model, BeamSearchRequest request, BeamState? resumeFrom = null)
    {
        request.Validate();
        int vocab = model.Config.VocabSize;
        foreach (var id in request.Prompt)
            if (id < 0 || id >= vocab) throw new ArgumentException($"prompt token id {id} is outside the model's vocabulary [0, {vocab})");
        _model = model;
        _request = request;
        int maxNew = request.Sampling.MaxNewTokens;
        _prompt = ContextWindow.Fit(request.Prompt, maxNew, model.Config.MaxPositions, request.Overflow);
        _processors = LogitsPipeline.Build(request.Sampling, _prompt.Length, request.EosTokenIds);
        _eos = request.EosTokenIds.ToHashSet();
        var state = resumeFrom ?? Initial();
        Check(state);
        _finished = new BeamHypotheses(request.NumBeams, request.LengthPenalty, request.EarlyStopping, maxNew, state.Finished);
        (_beams, _step, _done) = (state.Beams, state.Step, state.Done);
        _cacheRowOf = [];
    }

    // transformers starts beam 0 at 0 and the others at -1e9, so the first step expands beam 0 only.
    BeamState Initial() => new(_prompt, 0, Enumerable.Range(0, _request.NumBeams).Select(b => new BeamRow([], b == 0 ? 0f : -1e9f)).ToArray(), [], false);

    void Check(BeamState s)
    {
        if (!s.Prompt.SequenceEqual(_prompt)) throw new ArgumentException("the beam state belongs to a different prompt");
        if (s.Beams.Length != _request.NumBeams) throw new ArgumentException($"the beam state has {s.Beams.Length} beams, the request {_request.NumBeams}");
        if (s.Beams.Any(b => b.Tokens.Length != s.Step)) throw new ArgumentException($"every beam of the state must hold {s.Step} tokens");
        if (s.Step > _request.Sampling.MaxNewTokens) throw new ArgumentException($"the beam state is at step {s.Step}, past max_new_tokens {_request.Sampling.MaxNewTokens}");
    }

    /// <summary>True once the search has ended; <see cref="Result"/> is then final.</summary>
    public bool IsFinished => _done;

    /// <summary>Forward passes run by this instance.</summary>
    public int ForwardPasses => _forwardPasses;

    /// <summary>The prompt used (after any truncation).</summary>
    public IReadOnlyList<long> Prompt => _prompt;

    /// <summary>A snapshot of the search as plain data.</summary>
    public BeamState State => new(_prompt, _step, _beams.ToArray(), _finished.Kept.ToArray(), _done);

    /// <summary>The best hypothesis so far: finished or running (the running one normalised by its current length).</summary>
    public BeamProgress Progress
    {
        get
        {
            var best = _finished.Best(1).FirstOrDefault();
            if (!_done && _step > 0 && (best is null || _finished.Normalise(_beams[0].Score, _step) > best.Score))
                best = new BeamHypothesis(_beams[0].Tokens, _finished.Normalise(_beams[0].Score, _step), false);
            return new BeamProgress(_step, best?.Tokens ?? [], best?.Score ?? double.NegativeInfinity, _finished.Kept.Count, _done);
        }
    }

    /// <summary>The num_return_sequences best hypotheses, best first; only once finished.</summary>
    public IReadOnlyList<BeamHypothesis> Result() =>
        _done ? _finished.Best(_request.NumReturnSequences) : throw new InvalidOperationException("the beam search has not finished; call Step until IsFinished");

    /// <summary>Runs to the end, reporting progress after every step; cancellation throws between steps.</summary>
    public IReadOnlyList<BeamHypothesis> Run(IProgress<BeamProgress>? progress = null, CancellationToken cancellation = default)
    {
        while (!_done)
        {
            cancellation.ThrowIfCancellationRequested();
            var p = Step();
            progress?.Report(p);
        }
        return Result();
    }

    /// <summary>One forward pass over the beams and one selection step; returns the progress after it.</summary>
    public BeamProgress Step()
    {
        if (_done) return Progress;
        using (var scope = NewDisposeScope())
        {
            var logprobs = Forward().log_softmax(1);
            // On the CPU the processors work on each beam's row in place (RowProcessing), elsewhere as torch stages.
            var processed = _processors.Process(InputIds(), _prompt.Length + _step, logprobs);
            var scores = processed + tensor(_beams.Select(b => b.Score).ToArray(), device: processed.device).unsqueeze(1);
            long vocab = scores.shape[1];
            int keep = (int)Math.Min(Math.Max(2, 1 + _eos.Count) * _request.NumBeams, scores.numel());
            var (values, indices) = scores.reshape(1, -1).topk(keep, 1, largest: true, sorted: true);
            Select(values.data<float>().ToArray(), indices.data<long>().ToArray(), vocab);
        }
        if (_done) Release();
        return Progress;
    }

    /// <summary>transformers' BeamSearchScorer.process, then the reorder of the cache by the chosen beams.</summary>
    void Select(float[] values, long[] indices, long vocab)
    {
        int generated = _step + 1;
        var next = new List<(int Beam, long Token, float Score)>();
        for (int rank = 0; rank < values.Length && next.Count < _request.NumBeams; rank++)
        {
            int beam = (int)(indices[rank] / vocab);
            long token = indices[rank] % vocab;
            if (!_eos.Contains(token)) next.Add((beam, token, values[rank]));
            else if (rank < _request.NumBeams) _finished.Add([.. _beams[beam].Tokens, token], values[rank], generated, endsWithEos: true);
        }
        if (next.Count < _request.NumBeams)
            throw new InvalidOperationException($"beam search found only {next.Count} non-EOS candidates for {_request.NumBeams} beams");
        _done = _finished.IsDone(values[0], generated);
        _cache!.Reorder(next.Select(n => _cacheRowOf[n.Beam]).ToArray());
        _cacheRowOf = Enumerable.Range(0, next.Count).Select(i => (long)i).ToArray();
        _beams = next.Select(n => new BeamRow([.. _beams[n.Beam].Tokens, n.Token], n.Score)).ToArray();
        _step = generated;
        if (_done || _step < _request.Sampling.MaxNewTokens) return;
        // Reached max_new_tokens without being done: the running beams compete with the finished ones (finalize).
        foreach (var b in _beams) _finished.Add(b.Tokens, b.Score, _step, endsWithEos: false);
        _done = true;
    }

    /// <summary>Next-token logits [num_beams, vocab]: one cached step, or a prefill (the prompt once at the start, every beam when rebuilt).</summary>
    Tensor Forward()
    {
        _forwardPasses++;
        if (_cache is not null)
        {
            using var step = _model.Forward(ForwardRequest.Step(_beams.Select(b => b.Tokens[^1]).ToArray()), _cache);
            return step.Logits.select(1, 0);
        }
        var rows = _step == 0 ? [_prompt] : _beams.Select(b => _prompt.Concat(b.Tokens).ToArray()).ToArray();
        _cache = _model.CreateCache(rows.Length, _prompt.Length + _request.Sampling.MaxNewTokens + 1);
        var ids = new long[rows.Length, rows[0].Length];
        for (int r = 0; r < rows.Length; r++)
            for (int t = 0; t < rows[r].Length; t++) ids[r, t] = rows[r][t];
        using var result = _model.Forward(new ForwardRequest(ids), _cache);
        _cacheRowOf = Enumerable.Range(0, _beams.Length).Select(b => rows.Length == 1 ? 0L : b).ToArray();
        return result.Logits.select(1, 0).index_select(0, tensor(_cacheRowOf, device: result.Logits.device));
    }

    /// <summary>Prompt + generated tokens of every beam, row-major [num_beams, prompt + step], for the processors.</summary>
    long[] InputIds()
    {
        int width = _prompt.Length + _step;
        var ids = new long[_beams.Length * width];
        for (int b = 0; b < _beams.Length; b++)
        {
            _prompt.CopyTo(ids, b * width);
            _beams[b].Tokens.CopyTo(ids, b * width + _prompt.Length);
        }
        return ids;
    }

    void Release()
    {
        _cache?.Dispose();
        _cache = null;
    }

    /// <summary>Releases the KV cache.</summary>
    public void Dispose() => Release();
}
