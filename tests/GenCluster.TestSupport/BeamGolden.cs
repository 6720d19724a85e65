using System.Text.Json;

namespace GenCluster.TestSupport;

/// <summary>One case of golden/beam.json: transformers' generate(num_beams=...) call and what it returned.</summary>
/// <param name="Sequences">Generated part of each returned sequence, best first, with transformers' PAD after EOS removed.</param>
public sealed record BeamGoldenCase(long[] Prompt, int NumBeams, double LengthPenalty, string EarlyStopping, int NumReturnSequences,
    int MaxNewTokens, long EosTokenId, long[][] Sequences, float[] Scores, bool[] EndsWithEos);

/// <summary>Reads golden/beam.json.</summary>
public static class BeamGolden
{
    /// <summary>The 28 cases of a model ("llama-tiny" or "gpt2-tiny"); early_stopping as "true", "false" or "never".</summary>
    public static IReadOnlyList<BeamGoldenCase> Cases(string model)
    {
        using var golden = Fixtures.Golden("beam.json");
        var m = golden.RootElement.GetProperty("models").GetProperty(model);
        long eos = m.GetProperty("eos_token_id").GetInt64();
        return m.GetProperty("cases").EnumerateArray().Select(c =>
        {
            var config = c.GetProperty("config");
            var stopping = config.GetProperty("early_stopping");
            var ends = c.GetProperty("ends_with_eos").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
            var sequences = c.GetProperty("sequences").EnumerateArray()
                .Select((s, i) => Fixtures.ReadLongs(s) is var ids && ends[i] ? ids[..(Array.IndexOf(ids, eos) + 1)] : ids).ToArray();
            return new BeamGoldenCase(
                Fixtures.ReadLongs(c.GetProperty("prompt")), config.GetProperty("num_beams").GetInt32(), config.GetProperty("length_penalty").GetDouble(),
                stopping.ValueKind == JsonValueKind.String ? stopping.GetString()! : stopping.GetBoolean() ? "true" : "false",
                config.GetProperty("num_return_sequences").GetInt32(), config.GetProperty("max_new_tokens").GetInt32(), eos,
                sequences, Fixtures.ReadFloats(c.GetProperty("sequences_scores")), ends);
        }).ToList();
    }
}
