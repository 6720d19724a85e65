using GenCluster.Models.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Models.Medusa;

/// <summary>
/// Medusa heads for inference on the CPU kernels: the same formula as <see cref="MedusaHeads.Forward"/> (x = h;
/// x += SiLU(W x + b) per layer; logits = lm_head · x) on one hidden state as C# loops and <see cref="PackedLinear"/>
/// products over the heads' own tensors, and a partial selection of each head's top tokens instead of torch's topk.
/// A decoding round needs only those few tokens per head, and the torch path spends more time in op dispatch than
/// in the products.
/// </summary>
internal sealed unsafe class FusedMedusaHeads : IDisposable
{
    readonly PackedLinear[][] _blocks;
    readonly PackedLinear[] _lmHeads;
    readonly int _hidden, _vocab;

    /// <summary>Wraps float32 CPU tensors (aliases: the heads keep their own handles and storage is shared).</summary>
    public FusedMedusaHeads(MedusaConfig config, Tensor[][] weights, Tensor?[][] biases, Tensor[] lmHeads)
    {
        (_hidden, _vocab) = (config.HiddenSize, config.VocabSize);
        _blocks = weights.Select((layers, k) => layers.Select((w, l) => new PackedLinear(w.alias(), biases[k][l]?.alias(), WeightFormat.Float32, useKernels: true)).ToArray()).ToArray();
        _lmHeads = lmHeads.Select(w => new PackedLinear(w.alias(), null, WeightFormat.Float32, useKernels: true)).ToArray();
    }

    /// <summary>Whether tensors of this dtype and device can run here (training tensors that need gradients cannot).</summary>
    public static bool Supports(Tensor weight) => weight.device_type == DeviceType.CPU && weight.dtype == ScalarType.Float32 && !weight.requires_grad;

    /// <summary>The <paramref name="counts"/>[k] best tokens of head k (best first; lower id first on ties) for <paramref name="hidden"/> [hidden].</summary>
    public long[][] TopTokens(ReadOnlySpan<float> hidden, IReadOnlyList<int> counts)
    {
        if (hidden.Length != _hidden) throw new ArgumentException($"expected a hidden state of {_hidden} values, got {hidden.Length}");
        if (counts.Count > _lmHeads.Length) throw new ArgumentException($"asked for {counts.Count} heads, there are {_lmHeads.Length}");
        var x = new float[_hidden];
        var y = new float[_hidden];
        var logits = new float[_vocab];
        var top = new long[counts.Count][];
        fixed (float* xp = x, yp = y, lp = logits)
            for (int k = 0; k < counts.Count; k++)
            {
                hidden.CopyTo(x);
                foreach (var layer in _blocks[k])
                {
                    layer.Multiply(xp, 1, yp);
                    for (int i = 0; i < _hidden; i++) x[i] += y[i] / (1f + MathF.Exp(-y[i]));
                }
                _lmHeads[k].Multiply(xp, 1, lp);
                top[k] = Best(logits, counts[k]);
            }
        return top;
    }

    /// <summary>Indices of the <paramref name="count"/> largest values, largest first (insertion into a short sorted list).</summary>
    static long[] Best(float[] values, int count)
    {
        count = Math.Min(count, values.Length);
        var best = new long[count];
        int filled = 0;
        for (int v = 0; v < values.Length; v++)
        {
            if (filled == count && values[v] <= values[best[count - 1]]) continue;
            int at = filled < count ? filled++ : count - 1;
            while (at > 0 && values[v] > values[best[at - 1]])
            {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = v;
        }
        return best;
    }

    /// <summary>Releases the aliases (the weights stay with <see cref="MedusaHeads"/>).</summary>
    public void Dispose()
    {
        foreach (var linear in _blocks.SelectMany(b => b).Concat(_lmHeads)) linear.Dispose();
    }
}
