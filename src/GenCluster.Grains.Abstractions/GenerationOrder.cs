namespace GenCluster.Grains;

/// <summary>What a client asks a session to generate: model, prompt token ids, sampling, stopping and lifetime rules.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.GenerationOrder")]
public sealed record GenerationOrder
{
    /// <summary>The served model's name.</summary>
    [Id(0)] public required string Model { get; init; }

    /// <summary>Prompts as token ids (one list per prompt).</summary>
    [Id(1)] public required long[][] Prompts { get; init; }

    /// <summary>Sampling and stopping settings.</summary>
    [Id(2)] public SamplingSpec Sampling { get; init; } = new();

    /// <summary>EOS ids overriding the model's; null uses the model's.</summary>
    [Id(3)] public long[]? EosTokenIds { get; init; }

    /// <summary>"error", "truncate-left" or "slide".</summary>
    [Id(4)] public string ContextOverflow { get; init; } = "error";

    /// <summary>The seed used when <see cref="SamplingSpec.Seed"/> is unset (picked by the gateway, persisted with the session).</summary>
    [Id(5)] public ulong DefaultSeed { get; init; }

    /// <summary>Stop the generation when its last watcher goes away (otherwise it runs to the end, as a background job).</summary>
    [Id(6)] public bool CancelOnDisconnect { get; init; }

    /// <summary>The decoding strategy and its parameters (default: the sampling loop).</summary>
    [Id(7)] public DecodingSpec Decoding { get; init; } = new();
}
