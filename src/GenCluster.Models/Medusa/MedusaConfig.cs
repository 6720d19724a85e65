using System.Text.Json;
using System.Text.Json.Nodes;

namespace GenCluster.Models.Medusa;

/// <summary>
/// config.json of Medusa heads in vLLM's format: num_heads heads of num_hidden_layers residual blocks each over
/// hidden_size, each with its own LM head over vocab_size (truncated_vocab_size must equal it: no token_map), or with
/// original_lm_head one LM head (lm_head.weight, the base model's) shared by every head, as vLLM loads it.
/// </summary>
public sealed record MedusaConfig(int NumHeads, int NumLayers, int HiddenSize, int VocabSize, bool Bias = true, bool OriginalLmHead = false)
{
    /// <summary>Reads config.json of a heads folder.</summary>
    public static MedusaConfig Load(string dir)
    {
        var path = Path.Combine(dir, "config.json");
        if (!File.Exists(path)) throw new ModelFileMissingException($"config.json not found in {dir}: is this a Medusa heads folder?");
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new JsonException("empty document"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new CheckpointFormatException($"{path} is not valid JSON: {e.Message}", e); }
        int Required(string key) => json[key]?.GetValue<int>() is int v && v > 0 ? v
            : throw new CheckpointFormatException($"{path} needs a positive integer \"{key}\" (vLLM's Medusa config)");
        var config = new MedusaConfig(Required("num_heads"), json["num_hidden_layers"]?.GetValue<int>() ?? 1, Required("hidden_size"), Required("vocab_size"),
            json["medusa_fc_bias"]?.GetValue<bool>() ?? true, json["original_lm_head"]?.GetValue<bool>() ?? false);
        if (json["truncated_vocab_size"]?.GetValue<int>() is int truncated && truncated != config.VocabSize)
            throw new CheckpointFormatException($"{path} has truncated_vocab_size {truncated} != vocab_size {config.VocabSize}; heads with a token_map are not supported");
        return config;
    }

    /// <summary>Writes config.json in vLLM's format.</summary>
    public void Save(string dir)
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("MedusaModel"), ["model_type"] = "medusa",
            ["hidden_size"] = HiddenSize, ["vocab_size"] = VocabSize, ["truncated_vocab_size"] = VocabSize,
            ["num_heads"] = NumHeads, ["num_hidden_layers"] = NumLayers, ["medusa_fc_bias"] = Bias, ["torch_dtype"] = "float32",
        };
        if (OriginalLmHead) json["original_lm_head"] = true;
        File.WriteAllText(Path.Combine(dir, "config.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
