namespace GenCluster.Sampling;

/// <summary>Named parameter sets for common uses (issue 5): creative, precise, balanced, deterministic.</summary>
public static class SamplingPresets
{
    /// <summary>T 1.2, top-p 0.95, top-k 100, repetition penalty 1.1: varied text.</summary>
    public static SamplingParams Creative { get; } = new() { DoSample = true, Temperature = 1.2, TopP = 0.95, TopK = 100, RepetitionPenalty = 1.1 };

    /// <summary>T 0.3, top-p 0.9, top-k 20, repetition penalty 1.05: focused answers.</summary>
    public static SamplingParams Precise { get; } = new() { DoSample = true, Temperature = 0.3, TopP = 0.9, TopK = 20, RepetitionPenalty = 1.05 };

    /// <summary>T 0.7, top-p 0.9, top-k 50.</summary>
    public static SamplingParams Balanced { get; } = new() { DoSample = true, Temperature = 0.7, TopP = 0.9, TopK = 50 };

    /// <summary>Greedy decoding.</summary>
    public static SamplingParams Deterministic { get; } = new() { DoSample = false };

    /// <summary>The preset names, as accepted by <see cref="Get"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["creative", "precise", "balanced", "deterministic"];

    /// <summary>The preset called <paramref name="name"/> (case-insensitive); throws <see cref="SamplingParamsException"/> for an unknown name.</summary>
    public static SamplingParams Get(string name) => name.Trim().ToLowerInvariant() switch
    {
        "creative" => Creative,
        "precise" => Precise,
        "balanced" => Balanced,
        "deterministic" => Deterministic,
        _ => throw new SamplingParamsException("preset", name, "one of " + string.Join(", ", Names)),
    };
}
