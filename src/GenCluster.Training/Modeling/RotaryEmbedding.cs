using TorchSharp;
using GenCluster.Models.Runtime;
using static TorchSharp.torch;

namespace GenCluster.Training.Modeling;

/// <summary>Rotary position embedding (Su et al. 2021, RoFormer) in HF Llama's rotate_half convention: the two halves of a head are the pair.</summary>
public static class RotaryEmbedding
{
    /// <summary>cos and sin of shape (T, headDim) for positions 0..T-1: angle = pos * theta^(-2i/headDim), halves repeated.</summary>
    public static (Tensor Cos, Tensor Sin) Angles(long positions, int headDim, double theta, Device device)
    {
        var invFreq = 1.0 / pow(theta, arange(0, headDim, 2, dtype: ScalarType.Int64).to_type(ScalarType.Float32) / headDim);
        var freqs = outer(arange(positions, dtype: ScalarType.Float32), invFreq);
        var emb = cat([freqs, freqs], -1).to(device);
        return (emb.cos(), emb.sin());
    }

    /// <summary>x * cos + rotate_half(x) * sin for x of shape (B, heads, T, headDim).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var rotated = cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return (x * cos).add(rotated * sin, HeldScalars.One);
    }
}
