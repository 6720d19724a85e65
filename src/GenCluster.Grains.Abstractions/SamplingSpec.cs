namespace GenCluster.Grains;

/// <summary>
/// The wire form of GenCluster.Sampling's SamplingParams (same names and defaults), so that clients and the gateway
/// need no TorchSharp; the silo maps it back and validates it with SamplingParams.Validate.
/// </summary>
[GenerateSerializer, Immutable, Alias("GenCluster.SamplingSpec")]
public sealed record SamplingSpec
{
    [Id(0)] public bool DoSample { get; init; }
    [Id(1)] public double Temperature { get; init; } = 1.0;
    [Id(2)] public int TopK { get; init; }
    [Id(3)] public double TopP { get; init; } = 1.0;
    [Id(4)] public double MinP { get; init; }
    [Id(5)] public double TypicalP { get; init; } = 1.0;
    [Id(6)] public double EpsilonCutoff { get; init; }
    [Id(7)] public double EtaCutoff { get; init; }
    [Id(8)] public double RepetitionPenalty { get; init; } = 1.0;
    [Id(9)] public int NoRepeatNgramSize { get; init; }
    [Id(10)] public int MinNewTokens { get; init; }
    [Id(11)] public int MaxNewTokens { get; init; } = 256;
    [Id(12)] public double PresencePenalty { get; init; }
    [Id(13)] public double FrequencyPenalty { get; init; }
    [Id(14)] public Dictionary<long, double>? LogitBias { get; init; }
    [Id(15)] public ulong? Seed { get; init; }
    [Id(16)] public string[] Stop { get; init; } = [];
    [Id(17)] public long[] StopTokenIds { get; init; } = [];
    [Id(18)] public int N { get; init; } = 1;
    [Id(19)] public int TopLogprobs { get; init; }
    /// <summary>A named sampling method (greedy, top_k, top_p, min_p, typical, epsilon, eta, unconstrained) applied on top; null for none.</summary>
    [Id(20)] public string? Method { get; init; }
}
