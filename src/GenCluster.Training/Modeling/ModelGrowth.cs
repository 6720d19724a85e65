using GenCluster.Models.Config;
using GenCluster.Models.SafeTensors;
using static TorchSharp.torch;

namespace GenCluster.Training.Modeling;

/// <summary>
/// Starts a larger Llama from a trained smaller one so that it computes the same function (progressive growth in the
/// manner of Net2Net, Chen et al. 2016, and masked structural growth, Yao et al. 2024): wider residual stream, more
/// attention heads, a wider MLP and more layers, every new part initialised so that its output is zero.
/// </summary>
/// <remarks>
/// The new model keeps its random initialisation wherever a weight reads something new and gets zeros wherever a weight
/// writes something new into the residual stream:
/// <list type="bullet">
/// <item>the source's weights fill the top-left block of each matrix (its heads, neurons and residual dimensions first);</item>
/// <item>embedding columns, o_proj/down_proj rows of the new residual dimensions, o_proj columns of the new heads and
/// down_proj columns of the new neurons are zero, so the new residual dimensions stay zero and new heads/neurons add
/// nothing; the new layers' o_proj and down_proj are zero, so a new layer is the identity;</item>
/// <item>RMSNorm over d instead of d₀ dimensions, d − d₀ of them zero, divides by an RMS √(d₀/d) times smaller, so every
/// norm weight is multiplied by √(d₀/d), and eps must be d₀/d times the source's for the same result (<see cref="Shape"/>;
/// with the source's eps the difference is small but not rounding: 0.14 in the logits of the shipped draft grown 4x).</item>
/// </list>
/// The zero blocks get gradients at the first step (what they multiply is not zero), and the random blocks that read the
/// zero dimensions keep the duplicated-unit symmetry of copying from arising. Old layers keep their order, spread evenly
/// among the new ones. The group size (query heads per key/value head) must stay the same so that each old query head
/// keeps reading its old key/value head.
/// </remarks>
public static class ModelGrowth
{
    /// <summary>
    /// Overwrites <paramref name="model"/>'s weights (freshly initialised) so that it computes the function of the Hugging
    /// Face Llama folder <paramref name="sourceDir"/>; throws <see cref="ArgumentException"/> naming the field when the
    /// source cannot grow into the model's shape.
    /// </summary>
    public static void Grow(LlamaCausalLm model, string sourceDir)
    {
        var source = ModelConfig.Load(sourceDir);
        var shape = model.Shape;
        Check(source, shape, sourceDir);
        using var checkpoint = Checkpoint.Open(sourceDir);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var placed = Placement(source.NumLayers, shape.NumHiddenLayers);
        double normScale = Math.Sqrt((double)source.HiddenSize / shape.HiddenSize);
        using var noGrad = no_grad();

        Tensor Read(string name)
        {
            var info = checkpoint.Info(name);
            return checkpoint.Load(name, info.Shape, ScalarType.Float32, CPU);
        }
        void Copy(string from, string to)
        {
            using var weight = Read(from);
            var target = parameters[to];
            using var block = target.narrow(0, 0, weight.shape[0]);
            using var view = weight.dim() == 1 ? block : block.narrow(1, 0, weight.shape[1]);
            view.copy_(weight);
        }
        void ZeroRowsFrom(string name, long first)
        {
            var target = parameters[name];
            using var rows = target.narrow(0, first, target.shape[0] - first);
            rows.zero_();
        }
        void ZeroColumnsFrom(string name, long first)
        {
            var target = parameters[name];
            using var columns = target.narrow(1, first, target.shape[1] - first);
            columns.zero_();
        }
        void Norm(string? from, string to)
        {
            var target = parameters[to];
            target.fill_(normScale);
            if (from is null) return;
            using var weight = Read(from);
            using var scaled = weight.mul(normScale);
            using var block = target.narrow(0, 0, weight.shape[0]);
            block.copy_(scaled);
        }

        const string Embed = "model.embed_tokens.weight";
        Copy(Embed, Embed);
        ZeroColumnsFrom(Embed, source.HiddenSize);
        if (!shape.TieWordEmbeddings) Copy("lm_head.weight", "lm_head.weight");
        Norm("model.norm.weight", "model.norm.weight");
        long oldQ = (long)source.NumHeads * source.HeadDim;
        for (int layer = 0; layer < shape.NumHiddenLayers; layer++)
        {
            string to = $"model.layers.{layer}.";
            int from = Array.IndexOf(placed, layer);
            if (from < 0)
            {
                // A new layer: reads at random, writes nothing (the identity).
                parameters[to + "self_attn.o_proj.weight"].zero_();
                parameters[to + "mlp.down_proj.weight"].zero_();
                Norm(null, to + "input_layernorm.weight");
                Norm(null, to + "post_attention_layernorm.weight");
                continue;
            }
            string f = $"model.layers.{from}.";
            foreach (var reader in new[] { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj" })
                Copy(f + reader + ".weight", to + reader + ".weight");
            foreach (var (writer, oldInputs) in new[] { ("self_attn.o_proj", oldQ), ("mlp.down_proj", (long)source.IntermediateSize) })
            {
                Copy(f + writer + ".weight", to + writer + ".weight");
                ZeroRowsFrom(to + writer + ".weight", source.HiddenSize);
                ZeroColumnsFrom(to + writer + ".weight", oldInputs);
            }
            Norm(f + "input_layernorm.weight", to + "input_layernorm.weight");
            Norm(f + "post_attention_layernorm.weight", to + "post_attention_layernorm.weight");
        }
    }

    /// <summary>
    /// <paramref name="requested"/> with the norms' eps the growth needs: the source's times d₀/d (see the remarks), so the
    /// grown model computes the source's function exactly, not only up to eps.
    /// </summary>
    public static LlamaShape Shape(LlamaShape requested, string sourceDir)
    {
        var source = ModelConfig.Load(sourceDir);
        return requested with { RmsNormEps = source.NormEps * source.HiddenSize / requested.HiddenSize };
    }

    /// <summary>Where each of <paramref name="oldLayers"/> goes among <paramref name="newLayers"/>: in order, evenly spread (layer i at ⌊i·new/old⌋).</summary>
    public static int[] Placement(int oldLayers, int newLayers) =>
        Enumerable.Range(0, oldLayers).Select(i => (int)((long)i * newLayers / oldLayers)).ToArray();

    static void Check(ModelConfig source, LlamaShape shape, string sourceDir)
    {
        void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"cannot grow {sourceDir} into the requested shape: {message}");
        }
        Require(source.Family == ArchitectureFamily.Llama, $"it is a {source.Architecture}, growth needs a Llama-family model");
        Require(!source.AttentionBias && !source.MlpBias, "it has attention or MLP biases, which the trainer's Llama does not");
        Require(source.HiddenAct == "silu", $"hidden_act is {source.HiddenAct}, the trainer's Llama uses silu");
        Require(source.VocabSize == shape.VocabSize, $"vocab_size {source.VocabSize} differs from the tokenizer's {shape.VocabSize}");
        Require(source.TieWordEmbeddings == shape.TieWordEmbeddings, $"tie_word_embeddings is {source.TieWordEmbeddings.ToString().ToLowerInvariant()} in the source, {shape.TieWordEmbeddings.ToString().ToLowerInvariant()} in the new model");
        Require(source.HeadDim == shape.HeadDim, $"head_dim {source.HeadDim} differs from the new model's {shape.HeadDim} (hidden / heads)");
        Require(source.NumHeads / source.NumKvHeads == shape.NumAttentionHeads / shape.NumKeyValueHeads,
            $"query heads per key/value head: {source.NumHeads / source.NumKvHeads} in the source, {shape.NumAttentionHeads / shape.NumKeyValueHeads} in the new model");
        Require(source.RopeTheta == shape.RopeTheta && source.RopeScaling is null, "rope_theta (or rope_scaling) differs");
        Require(shape.HiddenSize >= source.HiddenSize, $"hidden_size {shape.HiddenSize} < the source's {source.HiddenSize}");
        Require(shape.NumAttentionHeads >= source.NumHeads, $"num_attention_heads {shape.NumAttentionHeads} < the source's {source.NumHeads}");
        Require(shape.IntermediateSize >= source.IntermediateSize, $"intermediate_size {shape.IntermediateSize} < the source's {source.IntermediateSize}");
        Require(shape.NumHiddenLayers >= source.NumLayers, $"num_hidden_layers {shape.NumHiddenLayers} < the source's {source.NumLayers}");
    }
}
