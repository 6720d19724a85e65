using TorchSharp;
using GenCluster.Models.Runtime;
using static TorchSharp.torch;

namespace GenCluster.Training.Modeling;

/// <summary>One pre-norm Llama block: h += attn(norm(h)); h += mlp(norm(h)).</summary>
public sealed class LlamaDecoderLayer : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    readonly LlamaAttention self_attn;
    readonly LlamaMlp mlp;
    readonly RmsNorm input_layernorm, post_attention_layernorm;

    /// <summary>A block sized by the model shape.</summary>
    public LlamaDecoderLayer(LlamaShape shape) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(shape);
        mlp = new LlamaMlp(shape);
        input_layernorm = new RmsNorm(shape.HiddenSize, shape.RmsNormEps);
        post_attention_layernorm = new RmsNorm(shape.HiddenSize, shape.RmsNormEps);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor h, Tensor cos, Tensor sin)
    {
        h = h.add(self_attn.forward(input_layernorm.forward(h), cos, sin), HeldScalars.One);
        return h.add(mlp.forward(post_attention_layernorm.forward(h)), HeldScalars.One);
    }
}
