using GenCluster.Sampling;

namespace GenCluster.Decoding.Beam;

/// <summary>When beam search stops: transformers' <c>early_stopping</c> values false, true and "never".</summary>
public enum BeamStopping
{
    /// <summary><c>early_stopping=False</c> (the default): stop once no running beam can beat the worst kept hypothesis, estimated at the current length.</summary>
    Heuristic,
    /// <summary><c>early_stopping=True</c>: stop as soon as num_beams hypotheses have finished.</summary>
    Early,
    /// <summary><c>early_stopping="never"</c>: stop only when no running beam can beat them, estimated at the best possible length.</summary>
    Never,
}

/// <summary>A beam search over one prompt, with transformers' (4.42) <c>generate(num_beams=...)</c> parameters.</summary>
public sealed record BeamSearchRequest
{
    /// <summary>The prompt, as token ids.</summary>
    public required IReadOnlyList<long> Prompt { get; init; }

    /// <summary>Beams kept per step, and finished hypotheses kept (transformers' num_beams).</summary>
    public int NumBeams { get; init; } = 4;

    /// <summary>Exponent of the generated length dividing a hypothesis' summed log-probs; &gt; 0 favours longer ones.</summary>
    public double LengthPenalty { get; init; } = 1.0;

    /// <summary>The stopping rule for finished hypotheses.</summary>
    public BeamStopping EarlyStopping { get; init; } = BeamStopping.Heuristic;

    /// <summary>How many hypotheses to return, best first (at most <see cref="NumBeams"/>).</summary>
    public int NumReturnSequences { get; init; } = 1;

    /// <summary>MaxNewTokens and the logits processors (penalties, n-gram bans, min-new-tokens); must be greedy (no warpers).</summary>
    public SamplingParams Sampling { get; init; } = new();

    /// <summary>Token ids that finish a hypothesis.</summary>
    public IReadOnlyList<long> EosTokenIds { get; init; } = [];

    /// <summary>Policy for prompts that do not fit the context window (slide is not supported for beams).</summary>
    public ContextOverflow Overflow { get; init; } = ContextOverflow.Error;

    /// <summary>Parses transformers' spellings "true", "false" and "never".</summary>
    public static BeamStopping ParseStopping(string value) => value.Trim().ToLowerInvariant() switch
    {
        "false" => BeamStopping.Heuristic,
        "true" => BeamStopping.Early,
        "never" => BeamStopping.Never,
        _ => throw new BeamSearchParamsException($"early_stopping must be true, false or never, got '{value}'"),
    };

    /// <summary>Throws <see cref="BeamSearchParamsException"/> naming the first invalid field; returns this.</summary>
    public BeamSearchRequest Validate()
    {
        Sampling.Validate();
        if (NumBeams < 1) throw new BeamSearchParamsException($"num_beams must be >= 1, got {NumBeams}");
        if (NumReturnSequences < 1 || NumReturnSequences > NumBeams)
            throw new BeamSearchParamsException($"num_return_sequences must be in [1, num_beams = {NumBeams}], got {NumReturnSequences}");
        if (!double.IsFinite(LengthPenalty)) throw new BeamSearchParamsException($"length_penalty must be a finite number, got {LengthPenalty}");
        if (!Sampling.IsGreedy) throw new BeamSearchParamsException("beam search keeps the most likely beams: turn sampling off (no do_sample, temperature, top_k, top_p ...)");
        if (Sampling.N != 1) throw new BeamSearchParamsException($"beam search returns num_return_sequences hypotheses; n must be 1, got {Sampling.N}");
        if (Sampling.Stop.Count > 0 || Sampling.StopTokenIds.Count > 0)
            throw new BeamSearchParamsException("beam search ends hypotheses on EOS ids only: pass stop token ids as EOS ids (--eos_token_id); stop strings are not supported");
        if (Overflow == ContextOverflow.Slide) throw new BeamSearchParamsException("context overflow 'slide' is not supported by beam search; use error or truncate-left");
        if (Prompt.Count == 0) throw new BeamSearchParamsException("the prompt needs at least one token");
        return this;
    }
}

/// <summary>Invalid beam search parameters (an <see cref="ArgumentException"/>, so callers report it as bad input).</summary>
public sealed class BeamSearchParamsException(string message) : ArgumentException(message);
