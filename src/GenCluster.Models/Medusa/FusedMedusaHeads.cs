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
    readonly bool _shared; // one LM head for every head: their rows go through it together

    /// <summary>Wraps float32 CPU tensors (aliases: the heads keep their own handles and storage is shared).</summary>
    public FusedMedusaHeads(MedusaConfig config, Tensor[][] weights, Tensor?[][] biases, Tensor[] lmHeads)
    {
        (_hidden, _vocab, _shared) = (config.HiddenSize, config.VocabSize, config.OriginalLmHead);
        _blocks = weights.Select((layers, k) => layers.Select((w, l) => new PackedLinear(w.alias(), biases[k][l]?.alias(), WeightFormat.Float32, useKernels: true)).ToArray()).ToArray();
        _lmHeads = lmHeads.Select(w => new PackedLinear(w.alias(), null, WeightFormat.Float32, useKernels: true)).ToArray();
    }

    /// <summary>Whether tensors of this dtype and device can run here (training tensors that need gradients cannot).</summary>
    public static bool Supports(Tensor weight) => weight.device_type == DeviceType.CPU && weight.dtype == ScalarType.Float32 && !weight.requires_grad;

    /// <summary>The <paramref name="counts"/>[k] best tokens of head k (best first; lower id first on ties) for <paramref name="hidden"/> [hidden].</summary>
    public long[][] TopTokens(ReadOnlySpan<float> hidden, IReadOnlyList<int> counts)
    {
        if (hidden.Length != _hidden) throw new ArgumentException($"expected a hidden state of {_hidden} values, got {hidden.Length}");
        if (counts.Count > _blocks.Length) throw new ArgumentException($"asked for {counts.Count} heads, there are {_blocks.Length}");
        int heads = counts.Count;
        var x = new float[heads * _hidden]; // head k's row at k * hidden
        var y = new float[_hidden];
        var logits = new float[(_shared ? heads : 1) * _vocab];
        var top = new long[heads][];
        fixed (float* xp = x, yp = y, lp = logits)
        {
            for (int k = 0; k < heads; k++)
            {
                var row = x.AsSpan(k * _hidden, _hidden);
                hidden.CopyTo(row);
                foreach (var layer in _blocks[k])
                {
                    layer.Multiply(xp + k * _hidden, 1, yp);
                    for (int i = 0; i < _hidden; i++) row[i] += y[i] / (1f + MathF.Exp(-y[i]));
                }
                if (_shared) continue;
                _lmHeads[k].Multiply(xp + k * _hidden, 1, lp);
                top[k] = Best(logits, counts[k]);
            }
            if (_shared)
            {
                _lmHeads[0].Multiply(xp, heads, lp);
                for (int k = 0; k < heads; k++) top[k] = Best(logits.AsSpan(k * _vocab, _vocab), counts[k]);
            }
        }
        return top;
    }

    /// <summary>Indices of the <paramref name="count"/> largest values, largest first (insertion into a short sorted list).</summary>
    static long[] Best(ReadOnlySpan<float> values, int count)
    {
        count = Math.Min(count, values.Length);
        var best = new long[count];
        int filled = 0;
        for (int v = 0; v < values.Length; v++)
        {
            if (filled == count && values[v] <= values[(int)best[count - 1]]) continue;
            int at = filled < count ? filled++ : count - 1;
            while (at > 0 && values[v] > values[(int)best[at - 1]])
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
