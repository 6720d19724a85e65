using System.Text.Json;

namespace GenCluster.Sampling.Tests;

/// <summary>Reads the `params` object of the golden files (logits_processors.json, sampling.json) into SamplingParams.</summary>
static class GoldenParams
{
    public static SamplingParams Read(JsonElement p) => new()
    {
        DoSample = p.GetProperty("DoSample").GetBoolean(),
        Temperature = p.GetProperty("Temperature").GetDouble(),
        TopK = p.GetProperty("TopK").GetInt32(),
        TopP = p.GetProperty("TopP").GetDouble(),
        // null = transformers' "not set"; 0 keeps every token, so it is the same chain.
        MinP = p.GetProperty("MinP").ValueKind == JsonValueKind.Null ? 0 : p.GetProperty("MinP").GetDouble(),
        TypicalP = p.GetProperty("TypicalP").GetDouble(),
        EpsilonCutoff = p.GetProperty("EpsilonCutoff").GetDouble(),
        EtaCutoff = p.GetProperty("EtaCutoff").GetDouble(),
        RepetitionPenalty = p.GetProperty("RepetitionPenalty").GetDouble(),
        NoRepeatNgramSize = p.GetProperty("NoRepeatNgramSize").GetInt32(),
        MinNewTokens = p.GetProperty("MinNewTokens").GetInt32(),
        MaxNewTokens = p.GetProperty("MaxNewTokens").GetInt32(),
        MinTokensToKeep = p.GetProperty("MinTokensToKeep").GetInt32(),
    };

    public static int PromptLength(JsonElement p) => p.GetProperty("PromptLength").GetInt32();

    /// <summary>EosTokenId is an int or a list of ints.</summary>
    public static long[] EosTokenIds(JsonElement p)
    {
        var eos = p.GetProperty("EosTokenId");
        return eos.ValueKind == JsonValueKind.Array ? eos.EnumerateArray().Select(e => e.GetInt64()).ToArray() : [eos.GetInt64()];
    }
}
