using System.Text.Json;
using GenCluster.Models.SafeTensors;
using GenCluster.Training.Modeling;
using GenCluster.Training.Tokenization;
using static TorchSharp.torch;

namespace GenCluster.Training.LanguageModel;

/// <summary>Writes a trained model as a Hugging Face LlamaForCausalLM folder: config.json, generation_config.json, model.safetensors and the tokenizer files.</summary>
public static class HfExport
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Exports <paramref name="model"/> to <paramref name="outDir"/> with weights in <paramref name="dtype"/> (Float32, BFloat16 or Float16).</summary>
    public static void Write(LlamaCausalLm model, string tokenizerDir, string outDir, ScalarType dtype)
    {
        Directory.CreateDirectory(outDir);
        var shape = model.Shape;
        var (bos, eos, pad) = (SpecialTokens.Id(SpecialTokens.Bos), SpecialTokens.Id(SpecialTokens.Eos), SpecialTokens.Id(SpecialTokens.Pad));
        var config = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { "LlamaForCausalLM" },
            ["model_type"] = "llama",
            ["hidden_size"] = shape.HiddenSize,
            ["intermediate_size"] = shape.IntermediateSize,
            ["num_attention_heads"] = shape.NumAttentionHeads,
            ["num_key_value_heads"] = shape.NumKeyValueHeads,
            ["num_hidden_layers"] = shape.NumHiddenLayers,
            ["head_dim"] = shape.HeadDim,
            ["hidden_act"] = "silu",
            ["rms_norm_eps"] = shape.RmsNormEps,
            ["rope_theta"] = shape.RopeTheta,
            ["rope_scaling"] = null,
            ["max_position_embeddings"] = shape.MaxPositionEmbeddings,
            ["vocab_size"] = shape.VocabSize,
            ["tie_word_embeddings"] = shape.TieWordEmbeddings,
            ["attention_bias"] = false,
            ["mlp_bias"] = false,
            ["initializer_range"] = 0.02,
            ["bos_token_id"] = bos,
            ["eos_token_id"] = eos,
            ["pad_token_id"] = pad,
            ["torch_dtype"] = DtypeName(dtype),
            ["use_cache"] = true,
        };
        File.WriteAllText(Path.Combine(outDir, "config.json"), JsonSerializer.Serialize(config, Indented));
        var generation = new Dictionary<string, object> { ["bos_token_id"] = bos, ["eos_token_id"] = eos, ["pad_token_id"] = pad };
        File.WriteAllText(Path.Combine(outDir, "generation_config.json"), JsonSerializer.Serialize(generation, Indented));
        // named_parameters lists a tied embedding once, under model.embed_tokens.weight, as HF expects.
        SafeTensorsWriter.Write(Path.Combine(outDir, "model.safetensors"),
            model.named_parameters().Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter)), dtype);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(tokenizerDir, file), Path.Combine(outDir, file), overwrite: true);
    }

    /// <summary>Parses "f32", "bf16" or "f16" (also the HF torch_dtype names).</summary>
    public static ScalarType ParseDtype(string name) => name.ToLowerInvariant() switch
    {
        "f32" or "float32" => ScalarType.Float32,
        "bf16" or "bfloat16" => ScalarType.BFloat16,
        "f16" or "float16" => ScalarType.Float16,
        _ => throw new ArgumentException($"export dtype must be f32, bf16 or f16, got '{name}'"),
    };

    static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => throw new ArgumentException($"export dtype must be Float32, BFloat16 or Float16, got {dtype}"),
    };
}
