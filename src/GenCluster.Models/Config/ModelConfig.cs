using System.Text.Json;
using System.Text.Json.Nodes;

namespace GenCluster.Models.Config;

/// <summary>The architecture families the runtime implements.</summary>
public enum ArchitectureFamily { Llama, Gpt2 }

/// <summary>Llama 3 style RoPE frequency scaling (rope_scaling in config.json).</summary>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositions);

/// <summary>The parts of a Hugging Face config.json the runtime uses, normalised across families.</summary>
public sealed record ModelConfig
{
    public required string Architecture { get; init; }
    public required ArchitectureFamily Family { get; init; }
    public required string ModelType { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int IntermediateSize { get; init; }
    public required int MaxPositions { get; init; }
    public required double NormEps { get; init; }
    public double RopeTheta { get; init; } = 10000;
    public RopeScaling? RopeScaling { get; init; }
    public bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public int? SlidingWindow { get; init; }
    public string HiddenAct { get; init; } = "silu";
    public string TorchDtype { get; init; } = "float32";
    public IReadOnlyList<long> EosTokenIds { get; init; } = [];
    public long? BosTokenId { get; init; }
    public long? PadTokenId { get; init; }

    static readonly Dictionary<string, (ArchitectureFamily Family, bool QkvBias)> Known = new()
    {
        ["LlamaForCausalLM"] = (ArchitectureFamily.Llama, false),
        ["MistralForCausalLM"] = (ArchitectureFamily.Llama, false),
        ["Qwen2ForCausalLM"] = (ArchitectureFamily.Llama, true),
        ["GPT2LMHeadModel"] = (ArchitectureFamily.Gpt2, true),
    };

    /// <summary>Architectures accepted in config.json's "architectures".</summary>
    public static IReadOnlyCollection<string> SupportedArchitectures => Known.Keys;

    /// <summary>Reads config.json of a model folder.</summary>
    public static ModelConfig Load(string modelDir)
    {
        var path = Path.Combine(modelDir, "config.json");
        if (!File.Exists(path)) throw new ModelFileMissingException($"config.json not found in {modelDir}: is this a Hugging Face model folder?");
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new JsonException("empty document"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new CheckpointFormatException($"{path} is not valid JSON: {e.Message}", e); }
        return Parse(json, path);
    }

    /// <summary>Normalises a parsed config.json.</summary>
    public static ModelConfig Parse(JsonObject json, string source = "config.json")
    {
        var arch = json["architectures"]?.AsArray().FirstOrDefault()?.GetValue<string>()
            ?? throw new UnsupportedArchitectureException($"{source} has no \"architectures\" entry; supported: {string.Join(", ", Known.Keys)}");
        if (!Known.TryGetValue(arch, out var known))
            throw new UnsupportedArchitectureException($"architecture {arch} is not supported; supported: {string.Join(", ", Known.Keys)}");
        int Int(params string[] keys) => keys.Select(k => json[k]).FirstOrDefault(v => v != null)?.GetValue<int>()
            ?? throw new CheckpointFormatException($"{source} lacks {string.Join(" / ", keys)}");
        int? OptInt(string key) => json[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;
        long? OptLong(string key) => ReadIds(json[key]) is [var first, ..] ? first : null;
        double Dbl(string key, double fallback) => json[key] is JsonValue v ? v.GetValue<double>() : fallback;
        bool Bool(string key, bool fallback) => json[key] is JsonValue v ? v.GetValue<bool>() : fallback;

        if (known.Family == ArchitectureFamily.Gpt2)
        {
            int hidden = Int("n_embd", "hidden_size"), heads = Int("n_head", "num_attention_heads");
            return new ModelConfig
            {
                Architecture = arch, Family = known.Family, ModelType = "gpt2",
                VocabSize = Int("vocab_size"), HiddenSize = hidden, NumLayers = Int("n_layer", "num_hidden_layers"),
                NumHeads = heads, NumKvHeads = heads, HeadDim = hidden / heads,
                IntermediateSize = OptInt("n_inner") ?? 4 * hidden, MaxPositions = Int("n_positions", "max_position_embeddings"),
                NormEps = Dbl("layer_norm_epsilon", 1e-5), AttentionBias = true, MlpBias = true, TieWordEmbeddings = Bool("tie_word_embeddings", true),
                HiddenAct = json["activation_function"]?.GetValue<string>() ?? "gelu_new",
                TorchDtype = json["torch_dtype"]?.GetValue<string>() ?? "float32",
                EosTokenIds = ReadIds(json["eos_token_id"]), BosTokenId = OptLong("bos_token_id"), PadTokenId = OptLong("pad_token_id"),
            };
        }
        int numHeads = Int("num_attention_heads"), hiddenSize = Int("hidden_size");
        bool useSliding = Bool("use_sliding_window", arch == "MistralForCausalLM");
        return new ModelConfig
        {
            Architecture = arch, Family = known.Family, ModelType = json["model_type"]?.GetValue<string>() ?? "llama",
            VocabSize = Int("vocab_size"), HiddenSize = hiddenSize, NumLayers = Int("num_hidden_layers"),
            NumHeads = numHeads, NumKvHeads = OptInt("num_key_value_heads") ?? numHeads,
            HeadDim = OptInt("head_dim") ?? hiddenSize / numHeads, IntermediateSize = Int("intermediate_size"),
            MaxPositions = Int("max_position_embeddings"), NormEps = Dbl("rms_norm_eps", 1e-6), RopeTheta = Dbl("rope_theta", 10000),
            RopeScaling = ReadRopeScaling(json["rope_scaling"] as JsonObject, source),
            AttentionBias = known.QkvBias || Bool("attention_bias", false), MlpBias = Bool("mlp_bias", false),
            TieWordEmbeddings = Bool("tie_word_embeddings", false),
            SlidingWindow = useSliding ? OptInt("sliding_window") : null,
            HiddenAct = json["hidden_act"]?.GetValue<string>() ?? "silu",
            TorchDtype = json["torch_dtype"]?.GetValue<string>() ?? "float32",
            EosTokenIds = ReadIds(json["eos_token_id"]),
            BosTokenId = OptLong("bos_token_id"), PadTokenId = OptLong("pad_token_id"),
        };
    }

    static RopeScaling? ReadRopeScaling(JsonObject? o, string source)
    {
        if (o == null) return null;
        var type = (o["rope_type"] ?? o["type"])?.GetValue<string>() ?? "default";
        if (type == "default") return null;
        if (type is not ("llama3" or "linear"))
            throw new UnsupportedArchitectureException($"{source}: rope_scaling type '{type}' is not supported (supported: llama3, linear)");
        double D(string k, double f) => o[k] is JsonValue v ? v.GetValue<double>() : f;
        return new RopeScaling(type, D("factor", 1), D("low_freq_factor", 1), D("high_freq_factor", 4),
            o["original_max_position_embeddings"] is JsonValue m ? m.GetValue<int>() : 8192);
    }

    /// <summary>Reads a token id that may be an int, a list of ints or null.</summary>
    public static IReadOnlyList<long> ReadIds(JsonNode? node) => node switch
    {
        null => [],
        JsonArray a => a.Where(x => x != null).Select(x => x!.GetValue<long>()).ToArray(),
        JsonValue v when v.TryGetValue<long>(out var id) => [id],
        _ => [],
    };
}
