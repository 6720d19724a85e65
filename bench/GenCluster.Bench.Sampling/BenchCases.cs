using GenCluster.Sampling;

namespace GenCluster.Bench.Sampling;

/// <summary>The parameter sets timed: each processor alone, then the full chains.</summary>
static class BenchCases
{
    public static IReadOnlyList<(string Name, SamplingParams Params)> All { get; } =
    [
        ("temperature_0.7", new() { DoSample = true, Temperature = 0.7 }),
        ("top_k_50", new() { DoSample = true, TopK = 50 }),
        ("top_p_0.9", new() { DoSample = true, TopP = 0.9 }),
        ("min_p_0.1", new() { DoSample = true, MinP = 0.1 }),
        ("typical_0.9", new() { DoSample = true, TypicalP = 0.9 }),
        ("epsilon_3e-4", new() { DoSample = true, EpsilonCutoff = 3e-4 }),
        ("eta_3e-4", new() { DoSample = true, EtaCutoff = 3e-4 }),
        ("repetition_penalty_1.1", new() { RepetitionPenalty = 1.1 }),
        ("presence_frequency_0.5", new() { PresencePenalty = 0.5, FrequencyPenalty = 0.5 }),
        ("no_repeat_ngram_3", new() { NoRepeatNgramSize = 3 }),
        ("logit_bias_16", new() { LogitBias = Enumerable.Range(100, 16).ToDictionary(i => (long)i, i => 5.0) }),
        ("min_new_tokens", new() { MinNewTokens = 64 }),
        // What `--preset balanced` runs, plus a repetition penalty: the usual production chain.
        ("default_chain(balanced+rep1.1)", SamplingPresets.Balanced with { RepetitionPenalty = 1.1 }),
        ("full_chain(every processor)", new()
        {
            DoSample = true, Temperature = 0.8, TopK = 100, TopP = 0.95, MinP = 0.02, TypicalP = 0.95, EpsilonCutoff = 1e-4,
            EtaCutoff = 1e-4, RepetitionPenalty = 1.1, PresencePenalty = 0.3, FrequencyPenalty = 0.3, NoRepeatNgramSize = 3,
            MinNewTokens = 64, LogitBias = new Dictionary<long, double> { [100] = 5, [200] = -5 },
        }),
    ];
}
