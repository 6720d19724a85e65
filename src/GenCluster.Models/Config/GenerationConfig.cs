using System.Text.Json;
using System.Text.Json.Nodes;

namespace GenCluster.Models.Config;

/// <summary>generation_config.json: the model's own token ids and default generation settings.</summary>
public sealed record GenerationConfig
{
    public IReadOnlyList<long> EosTokenIds { get; init; } = [];
    public long? BosTokenId { get; init; }
    public long? PadTokenId { get; init; }
    public bool? DoSample { get; init; }
    public double? Temperature { get; init; }
    public int? TopK { get; init; }
    public double? TopP { get; init; }
    public double? RepetitionPenalty { get; init; }
    public int? MaxNewTokens { get; init; }

    /// <summary>Reads generation_config.json if present, else an empty config.</summary>
    public static GenerationConfig Load(string modelDir)
    {
        var path = Path.Combine(modelDir, "generation_config.json");
        if (!File.Exists(path)) return new GenerationConfig();
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? new JsonObject(); }
        catch (JsonException e) { throw new CheckpointFormatException($"{path} is not valid JSON: {e.Message}", e); }
        T? Opt<T>(string key) where T : struct => json[key] is JsonValue v && v.TryGetValue<T>(out var x) ? x : null;
        return new GenerationConfig
        {
            EosTokenIds = ModelConfig.ReadIds(json["eos_token_id"]),
            BosTokenId = ModelConfig.ReadIds(json["bos_token_id"]) is [var b, ..] ? b : null,
            PadTokenId = ModelConfig.ReadIds(json["pad_token_id"]) is [var p, ..] ? p : null,
            DoSample = Opt<bool>("do_sample"), Temperature = Opt<double>("temperature"), TopK = Opt<int>("top_k"),
            TopP = Opt<double>("top_p"), RepetitionPenalty = Opt<double>("repetition_penalty"), MaxNewTokens = Opt<int>("max_new_tokens"),
        };
    }
}
