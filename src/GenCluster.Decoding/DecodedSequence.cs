using GenCluster.Sampling;
using GenCluster.Sampling.Samplers;

namespace GenCluster.Decoding;

/// <summary>
/// One sequence of a multi-token-per-step decoder (speculative, prompt lookup, Medusa): its prompt, its generated
/// tokens and the stopping rules of the plain loop (EOS, stop ids, stop strings, max_new_tokens), turning each
/// appended token into the <see cref="GenerationEvent"/> the plain loop would have emitted.
/// </summary>
public sealed class DecodedSequence(IReadOnlyList<long> prompt, SamplingParams sampling, IReadOnlyList<long> eosTokenIds, ITextStream? text)
{
    readonly HashSet<long> _eos = eosTokenIds.ToHashSet(), _stopIds = sampling.StopTokenIds.ToHashSet();
    readonly StopStringMatcher _stops = new(sampling.Stop);
    readonly List<long> _generated = [];
    readonly List<long> _context = [.. prompt];

    /// <summary>The prompt tokens.</summary>
    public IReadOnlyList<long> Prompt { get; } = prompt.ToArray();

    /// <summary>Tokens generated so far (ending with EOS when it stopped on it).</summary>
    public IReadOnlyList<long> Generated => _generated;

    /// <summary>Prompt followed by the generated tokens.</summary>
    public IReadOnlyList<long> Context => _context;

    /// <summary>Why the sequence ended, or null while it runs.</summary>
    public FinishReason? Finish { get; private set; }

    /// <summary>How many tokens max_new_tokens still allows.</summary>
    public int Remaining => sampling.MaxNewTokens - _generated.Count;

    /// <summary>Appends a token; the event carries the finish reason when this token ends the sequence.</summary>
    public GenerationEvent Append(long token, float logprob, IReadOnlyList<TokenLogprob>? topLogprobs = null)
    {
        if (Finish is not null) throw new InvalidOperationException("the sequence has already finished");
        _generated.Add(token);
        _context.Add(token);
        var ev = new GenerationEvent(0, _generated.Count - 1, token, _stops.Push(text?.Push(token) ?? ""), logprob, topLogprobs ?? []);
        FinishReason? reason = _eos.Contains(token) ? FinishReason.Eos
            : _stopIds.Contains(token) || _stops.Stopped ? FinishReason.Stop
            : _generated.Count >= sampling.MaxNewTokens ? FinishReason.Length
            : null;
        return reason is null ? ev : End(reason.Value, ev);
    }

    /// <summary>Ends the sequence with finish reason cancelled.</summary>
    public GenerationEvent Cancel() => End(FinishReason.Cancelled, new GenerationEvent(0, _generated.Count - 1, -1, "", 0, []));

    GenerationEvent End(FinishReason reason, GenerationEvent last)
    {
        Finish = reason;
        var tail = reason == FinishReason.Stop && _stops.Stopped ? "" : _stops.Push(text?.Flush() ?? "") + _stops.Flush();
        return last with { TextDelta = last.TextDelta + tail, Finish = reason };
    }
}
