namespace GenCluster.Grains;

/// <summary>
/// How a session decodes: "sample" (the plain loop, any sampling method) or a strategy of GenCluster.Decoding with
/// the CLI's flags for it (same names and defaults as `gencluster generate --method NAME`).
/// </summary>
[GenerateSerializer, Immutable, Alias("GenCluster.DecodingSpec")]
public sealed record DecodingSpec
{
    /// <summary>The plain sampling loop (greedy, top_k, top_p, ... set by <see cref="SamplingSpec"/>).</summary>
    public const string Sample = "sample";

    /// <summary>The strategies a session runs besides sampling.</summary>
    public static readonly IReadOnlyList<string> Strategies = ["beam", "cot", "json", "speculative", "prompt_lookup", "medusa"];

    /// <summary>sample, beam, cot, json, speculative, prompt_lookup or medusa.</summary>
    [Id(0)] public string Method { get; init; } = Sample;
    /// <summary>Beam search: beams kept per step.</summary>
    [Id(1)] public int NumBeams { get; init; } = 4;
    /// <summary>Beam search: score = sum logprobs / length^length_penalty.</summary>
    [Id(2)] public double LengthPenalty { get; init; } = 1.0;
    /// <summary>Beam search: true, false or never.</summary>
    [Id(3)] public string EarlyStopping { get; init; } = "false";
    /// <summary>Beam search: hypotheses returned, best first.</summary>
    [Id(4)] public int NumReturnSequences { get; init; } = 1;
    /// <summary>CoT decoding: branches on the top-k first tokens.</summary>
    [Id(5)] public int CotBranches { get; init; } = 10;
    /// <summary>CoT decoding: the answer is this regex's last match; null: the last number.</summary>
    [Id(6)] public string? CotAnswerRegex { get; init; }
    /// <summary>CoT decoding: pick the answer by confidence summed over branches.</summary>
    [Id(7)] public bool CotAggregate { get; init; }
    /// <summary>JSON decoding: the JSON Schema (text) the output must satisfy; null: any JSON value.</summary>
    [Id(8)] public string? JsonSchema { get; init; }
    /// <summary>Speculative decoding: the draft model's served name; null: the draft configured for the target on its silo.</summary>
    [Id(9)] public string? DraftModel { get; init; }
    /// <summary>Speculative and prompt lookup: tokens proposed per step.</summary>
    [Id(10)] public int Lookahead { get; init; } = 4;
    /// <summary>Prompt lookup: the longest n-gram matched in the context.</summary>
    [Id(11)] public int PromptLookupNgram { get; init; } = 3;
    /// <summary>Medusa: greedy or typical acceptance.</summary>
    [Id(12)] public string MedusaAcceptance { get; init; } = "greedy";
    /// <summary>Medusa: the candidate tree as rank paths ("0;1;0,0"); null: the sparse default tree.</summary>
    [Id(13)] public string? MedusaTree { get; init; }
}
