using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenCluster.Training.Modeling;

/// <summary>Causal grouped-query self-attention (Ainslie et al. 2023) with rotary positions, as HF LlamaAttention (no biases).</summary>
public sealed class LlamaAttention : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    readonly int heads, kvHeads, headDim;
    readonly Linear q_proj, k_proj, v_proj, o_proj;

    /// <summary>Projections sized by the model shape.</summary>
    public LlamaAttention(LlamaShape shape) : base(nameof(LlamaAttention))
    {
        (heads, kvHeads, headDim) = (shape.NumAttentionHeads, shape.NumKeyValueHeads, shape.HeadDim);
        q_proj = nn.Linear(shape.HiddenSize, heads * headDim, hasBias: false);
        k_proj = nn.Linear(shape.HiddenSize, kvHeads * headDim, hasBias: false);
        v_proj = nn.Linear(shape.HiddenSize, kvHeads * headDim, hasBias: false);
        o_proj = nn.Linear(heads * headDim, shape.HiddenSize, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Attention over x (B, T, hidden) with rotary angles cos/sin (T, headDim).</summary>
    public override Tensor forward(Tensor x, Tensor cos, Tensor sin)
    {
        var (b, t) = (x.shape[0], x.shape[1]);
        var q = RotaryEmbedding.Apply(q_proj.forward(x).view(b, t, heads, headDim).transpose(1, 2), cos, sin);
        var k = RotaryEmbedding.Apply(k_proj.forward(x).view(b, t, kvHeads, headDim).transpose(1, 2), cos, sin);
        var v = v_proj.forward(x).view(b, t, kvHeads, headDim).transpose(1, 2);
        if (kvHeads != heads)
        {
            // HF repeat_kv: key/value head j serves query heads j*rep .. j*rep+rep-1.
            k = k.repeat_interleave(heads / kvHeads, 1);
            v = v.repeat_interleave(heads / kvHeads, 1);
        }
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
        return o_proj.forward(attended.transpose(1, 2).reshape(b, t, heads * headDim));
    }
}
