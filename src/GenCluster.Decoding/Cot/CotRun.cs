using GenCluster.Models.Runtime;
using GenCluster.Sampling.Samplers;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Cot;

/// <summary>
/// Chain-of-thought decoding one forward pass at a time, so a host can stream, persist and resume it: the first
/// <see cref="Step"/> runs the prompt and emits every branch's forced first token (index 0, with the top-2
/// log-probs there); the following steps are the batched greedy continuation of all branches. Every token event
/// carries its top-2 log-probs, from which the branch's margins p(top-1) - p(top-2) are taken (Wang &amp; Zhou 2024).
/// Rebuilt from each branch's tokens and margins so far, it continues exactly where it stopped.
/// </summary>
public sealed class CotRun : IGenerationRun
{
    readonly ICausalLM _model;
    readonly CotRequest _request;
    readonly Func<ITextStream> _textStream;
    readonly long[] _prompt;
    readonly List<double>[] _margins;
    GenerationSession? _session;
    bool _cancelled;

    /// <summary>Starts a CoT decoding, or resumes one from each branch's tokens (first token included) and margins so far.</summary>
    public CotRun(ICausalLM model, CotRequest request, Func<ITextStream> textStream,
        IReadOnlyList<IReadOnlyList<long>>? resumeTokens = null, IReadOnlyList<IReadOnlyList<double>>? resumeMargins = null)
    {
        request.Validate();
        (_model, _request, _textStream) = (model, request, textStream);
        _prompt = ContextWindow.Fit(request.Prompt, request.Sampling.MaxNewTokens, model.Config.MaxPositions, request.Overflow);
        SequenceCount = Math.Min(request.Branches, model.Config.VocabSize);
        _margins = Enumerable.Range(0, SequenceCount).Select(i => resumeMargins is null || resumeMargins.Count <= i ? new List<double>() : resumeMargins[i].ToList()).ToArray();
        if (resumeTokens is null || resumeTokens.All(t => t.Count == 0)) return;
        if (resumeTokens.Count != SequenceCount || resumeTokens.Any(t => t.Count == 0))
            throw new ArgumentException($"CoT resume needs the tokens of all {SequenceCount} branches, each with its first token");
        for (int i = 0; i < SequenceCount; i++)
            if (_margins[i].Count != resumeTokens[i].Count)
                throw new ArgumentException($"CoT resume needs one margin per token: branch {i} has {resumeTokens[i].Count} tokens and {_margins[i].Count} margins");
        _session = Branches(resumeTokens);
    }

    /// <summary>Number of branches.</summary>
    public int SequenceCount { get; }

    /// <summary>True once every branch has ended (or the run was cancelled before the first step).</summary>
    public bool IsFinished => _cancelled || (_session?.IsFinished ?? false);

    /// <summary>The (possibly truncated) prompt.</summary>
    public IReadOnlyList<long> PromptOf(int sequence) => _prompt;

    /// <summary>A branch's tokens so far, its first token included.</summary>
    public IReadOnlyList<long> Generated(int sequence) => _session?.Generated(sequence) ?? [];

    /// <summary>Why a branch ended, or null while it runs.</summary>
    public FinishReason? FinishOf(int sequence) => _cancelled && _session is null ? FinishReason.Cancelled : _session?.FinishOf(sequence);

    /// <summary>Counters; forward passes include the prompt's pass that chose the branches.</summary>
    public GenerationStats Stats => _session is null
        ? new GenerationStats(_prompt.Length, 0, 0, 0)
        : _session.Stats with { PromptTokens = _prompt.Length, ForwardPasses = _session.Stats.ForwardPasses + 1 };

    /// <summary>The first step chooses and emits the branches' first tokens; each later step advances every running branch by one token.</summary>
    public IReadOnlyList<GenerationEvent> Step()
    {
        if (IsFinished) return [];
        if (_session is null) return Start();
        var events = _session.Step();
        foreach (var e in events.Where(e => e.TokenId >= 0)) _margins[e.Sequence].Add(CotDecoder.Margin(e.TopLogprobs.Select(t => (double)t.Logprob).ToArray()));
        return events;
    }

    /// <summary>Ends every running branch with finish reason cancelled.</summary>
    public IReadOnlyList<GenerationEvent> Cancel()
    {
        if (_session is not null) return _session.Cancel();
        if (_cancelled) return [];
        _cancelled = true;
        return Enumerable.Range(0, SequenceCount).Select(i => new GenerationEvent(i, -1, -1, "", 0, [], FinishReason.Cancelled)).ToList();
    }

    /// <summary>Branches ranked by confidence, answers by summed confidence, and the chosen answer (for the tokens so far).</summary>
    public CotResult Result(bool aggregate = false)
    {
        var pattern = AnswerSpan.Compile(_request.AnswerPattern);
        var branches = Enumerable.Range(0, SequenceCount)
            .Select(i => Branch(i, Generated(i).ToArray(), _margins[i], pattern, FinishOf(i)))
            .OrderByDescending(b => b.Confidence).ThenBy(b => b.Rank).ToList();
        var aggregated = branches.Where(b => b.Answer is not null).GroupBy(b => b.Answer!)
            .Select(g => new CotAnswer(g.Key, g.Sum(b => b.Confidence), g.Count()))
            .OrderByDescending(a => a.Confidence).ToList();
        var answer = aggregate ? aggregated.FirstOrDefault()?.Answer : branches.FirstOrDefault(b => b.Answer is not null)?.Answer;
        return new CotResult(branches, aggregated, answer, Stats.ForwardPasses);
    }

    /// <summary>Runs the prompt, picks the k most likely first tokens and emits them (the branches' index-0 events).</summary>
    IReadOnlyList<GenerationEvent> Start()
    {
        TokenLogprob[] top;
        using (var scope = NewDisposeScope())
        using (var cache = _model.CreateCache(1, _prompt.Length))
        using (var result = _model.Forward(ForwardRequest.Single(_prompt), cache))
        {
            var logprobs = result.Logits.select(1, 0).select(0, 0).to(float32).log_softmax(0).cpu();
            var (values, indices) = logprobs.topk(Math.Max(SequenceCount, Math.Min(2, (int)logprobs.shape[0])));
            var ids = indices.data<long>().ToArray();
            top = values.data<float>().Select((v, i) => new TokenLogprob(ids[i], v)).ToArray();
        }
        var firstTop = top.Take(2).ToArray();
        double margin = CotDecoder.Margin(firstTop.Select(t => (double)t.Logprob).ToArray());
        _session = Branches(top.Take(SequenceCount).Select(t => (IReadOnlyList<long>)[t.TokenId]).ToArray());
        var events = new GenerationEvent[SequenceCount];
        for (int i = 0; i < SequenceCount; i++)
        {
            _margins[i].Add(margin);
            var text = _textStream().Push(top[i].TokenId);
            events[i] = new GenerationEvent(i, 0, top[i].TokenId, text, top[i].Logprob, firstTop, _session.FinishOf(i));
        }
        return events;
    }

    /// <summary>All branches as rows of one greedy session, each forced to start with its tokens so far.</summary>
    GenerationSession Branches(IReadOnlyList<IReadOnlyList<long>> tokens)
    {
        var generation = new GenerationRequest
        {
            Prompts = [_prompt], EosTokenIds = _request.EosTokenIds, Overflow = _request.Overflow,
            Sampling = _request.Sampling with { DoSample = false, N = tokens.Count, TopLogprobs = 2, Seed = 0 },
        };
        return new GenerationSession(_model, generation, _ => _textStream(), tokens);
    }

    CotBranch Branch(int rank, long[] tokens, List<double> margins, System.Text.RegularExpressions.Regex pattern, FinishReason? finish)
    {
        var stream = _textStream();
        var pieces = tokens.Select(t => stream.Push(t)).ToList();
        var tail = stream.Flush();
        if (pieces.Count > 0) pieces[^1] += tail;
        var text = string.Concat(pieces);
        long first = tokens.Length > 0 ? tokens[0] : -1;
        if (AnswerSpan.Find(pattern, text) is not { } span) return new CotBranch(rank, first, tokens, text, null, 0, finish);
        var answerTokens = AnswerSpan.Tokens(pieces, span.Start, span.End);
        double confidence = answerTokens.Count == 0 ? 0 : answerTokens.Average(i => margins[i]);
        return new CotBranch(rank, first, tokens, text, span.Value, confidence, finish);
    }

    /// <summary>Releases the branches' KV cache.</summary>
    public void Dispose() => _session?.Dispose();
}
