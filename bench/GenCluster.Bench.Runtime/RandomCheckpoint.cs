using System.Text.Json.Nodes;
using GenCluster.Models.SafeTensors;
using static TorchSharp.torch;

namespace GenCluster.Bench.Runtime;

/// <summary>A Llama-architecture checkpoint of a given shape with random N(0, 0.02) weights, written as a Hugging Face folder.</summary>
internal sealed record LlamaShape(string Name, int Vocab, int Hidden, int Layers, int Heads, int KvHeads, int Intermediate, bool Tied)
{
    public static readonly LlamaShape SmolLM2_135M = new("smollm2-135m", 49152, 576, 30, 9, 3, 1536, true);
    public static readonly LlamaShape Tiny = new("tiny", 512, 64, 2, 4, 2, 128, true);

    public int HeadDim => Hidden / Heads;

    public void Write(string dir, int seed)
    {
        Directory.CreateDirectory(dir);
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"), ["model_type"] = "llama", ["vocab_size"] = Vocab,
            ["hidden_size"] = Hidden, ["num_hidden_layers"] = Layers, ["num_attention_heads"] = Heads, ["num_key_value_heads"] = KvHeads,
            ["intermediate_size"] = Intermediate, ["max_position_embeddings"] = 2048, ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 100000.0,
            ["tie_word_embeddings"] = Tied, ["torch_dtype"] = "float32", ["bos_token_id"] = 1, ["eos_token_id"] = 2, ["hidden_act"] = "silu",
        };
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        manual_seed(seed);
        var tensors = new List<KeyValuePair<string, Tensor>>();
        void Add(string name, params long[] shape) => tensors.Add(new(name, shape.Length == 1 ? ones(shape) : randn(shape) * 0.02f));
        Add("model.embed_tokens.weight", Vocab, Hidden);
        for (int l = 0; l < Layers; l++)
        {
            var p = $"model.layers.{l}.";
            Add(p + "self_attn.q_proj.weight", Heads * HeadDim, Hidden);
            Add(p + "self_attn.k_proj.weight", KvHeads * HeadDim, Hidden);
            Add(p + "self_attn.v_proj.weight", KvHeads * HeadDim, Hidden);
            Add(p + "self_attn.o_proj.weight", Hidden, Heads * HeadDim);
            Add(p + "mlp.gate_proj.weight", Intermediate, Hidden);
            Add(p + "mlp.up_proj.weight", Intermediate, Hidden);
            Add(p + "mlp.down_proj.weight", Hidden, Intermediate);
            Add(p + "input_layernorm.weight", Hidden);
            Add(p + "post_attention_layernorm.weight", Hidden);
        }
        Add("model.norm.weight", Hidden);
        if (!Tied) Add("lm_head.weight", Vocab, Hidden);
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors, ScalarType.Float32);
        foreach (var t in tensors) t.Value.Dispose();
    }
}
