using GenCluster.Sampling;

namespace GenCluster.Decoding;

/// <summary>What to do when prompt plus token budget exceed the model's context window.</summary>
public enum ContextOverflow
{
    /// <summary>Refuse the request with a clear message (the default).</summary>
    Error,
    /// <summary>Drop the oldest prompt tokens so prompt + max_new_tokens fits.</summary>
    TruncateLeft,
    /// <summary>Condition every step on the last context-window tokens only, as a from-scratch GPT sampling loop does.</summary>
    Slide,
}

/// <summary>
/// One generation: prompts (token ids) decoded together, each sampled <see cref="SamplingParams.N"/> times,
/// with the stopping rules the loop applies around the sampling pipeline.
/// </summary>
public sealed record GenerationRequest
{
    /// <summary>The prompts, as token ids (at least one token each).</summary>
    public required IReadOnlyList<IReadOnlyList<long>> Prompts { get; init; }

    /// <summary>Sampling settings; N completions per prompt, MaxNewTokens, stop strings and ids, seed.</summary>
    public SamplingParams Sampling { get; init; } = new();

    /// <summary>Token ids that end a sequence with finish reason "eos" (the model's EOS ids, or --eos_token_id).</summary>
    public IReadOnlyList<long> EosTokenIds { get; init; } = [];

    /// <summary>Policy for prompts that do not fit the context window.</summary>
    public ContextOverflow Overflow { get; init; } = ContextOverflow.Error;

    /// <summary>False recomputes the whole sequence every step (for comparison with the KV cache).</summary>
    public bool UseKvCache { get; init; } = true;

    /// <summary>Per-sequence token constraint (e.g. a JSON schema), created for each sequence index; null for none.</summary>
    public Func<int, ITokenConstraint>? Constraint { get; init; }

    /// <summary>The request seed when <see cref="SamplingParams.Seed"/> is unset.</summary>
    public ulong DefaultSeed { get; init; }
}

/// <summary>The prompt does not fit the model's context window under the chosen policy.</summary>
public sealed class ContextOverflowException(string message) : Exception(message);
