using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Samplers;

/// <summary>
/// argmax and log-sum-exp over rows of a contiguous CPU float32 [batch, vocab] tensor, read in place. A decode step
/// needs just these few numbers from the logits; as torch ops each is a parallel region whose thread wake-ups cost
/// more than the scan itself (and compete with the decode kernels' worker threads for the cores).
/// </summary>
public static class ScoreRows
{
    /// <summary>Whether <paramref name="t"/> can be read in place: [batch, vocab] float32, contiguous, on the CPU.</summary>
    public static bool Readable(Tensor t) =>
        t.ndim == 2 && t.dtype == ScalarType.Float32 && t.device_type == DeviceType.CPU && t.is_contiguous();

    /// <summary>Row <paramref name="row"/> of a <see cref="Readable"/> tensor, writable in place; valid while the tensor lives.</summary>
    public static Span<float> Row(Tensor t, int row)
    {
        int vocab = (int)t.shape[1];
        return MemoryMarshal.Cast<byte, float>(t.bytes).Slice(row * vocab, vocab);
    }

    /// <summary>Whether two <see cref="Readable"/> tensors of one shape are views of the same elements.</summary>
    public static bool SameMemory(Tensor a, Tensor b) =>
        System.Runtime.CompilerServices.Unsafe.AreSame(ref MemoryMarshal.GetReference(a.bytes), ref MemoryMarshal.GetReference(b.bytes));

    /// <summary>The first index of the largest value, a NaN counting as largest (torch.argmax's rule).</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        float max = Max(row);
        if (!float.IsNaN(max)) return row.IndexOf(max);
        for (int i = 0; ; i++) if (float.IsNaN(row[i])) return i;
    }

    /// <summary>The largest value, or NaN when the row holds one (IEEE 754-2019 maximum, as Vector256.Max computes it).</summary>
    public static float Max(ReadOnlySpan<float> row)
    {
        int i = 0;
        var max = Vector256.Create(float.NegativeInfinity);
        for (; i + 8 <= row.Length; i += 8) max = Vector256.Max(max, Vector256.Create(row.Slice(i, 8)));
        float result = float.NegativeInfinity;
        for (int lane = 0; lane < 8; lane++) result = MathF.Max(result, max[lane]);
        for (; i < row.Length; i++) result = MathF.Max(result, row[i]);
        return result;
    }

    /// <summary>
    /// w_i = exp(row_i - shift) in float64 (0 for -inf), vectorised; returns their sum, accumulated in four lanes
    /// then the tail: a fixed order, so the same row gives the same bits on every machine with this code.
    /// </summary>
    public static double ExpShifted(ReadOnlySpan<float> row, float shift, Span<double> w)
    {
        int i = 0;
        var sum = Vector256<double>.Zero;
        var shiftV = Vector256.Create((double)shift);
        for (; i + 8 <= row.Length; i += 8)
        {
            var x = Vector256.Create(row.Slice(i, 8));
            var lower = Vector256.Exp(Vector256.WidenLower(x) - shiftV);
            var upper = Vector256.Exp(Vector256.WidenUpper(x) - shiftV);
            lower.CopyTo(w.Slice(i, 4));
            upper.CopyTo(w.Slice(i + 4, 4));
            sum += lower + upper;
        }
        double total = Vector256.Sum(sum);
        for (; i < row.Length; i++) total += w[i] = Math.Exp(row[i] - (double)shift);
        return total;
    }

    /// <summary>
    /// log Σ exp(x_i) as torch.logsumexp computes it: the row maximum m (0 when infinite) is shifted out,
    /// m + log Σ exp(x_i - m); the exponentials are summed in double.
    /// </summary>
    public static float LogSumExp(ReadOnlySpan<float> row)
    {
        float max = Max(row);
        if (float.IsNaN(max)) return float.NaN;
        float shift = float.IsInfinity(max) ? 0 : max;
        int i = 0;
        var sum = Vector256<double>.Zero;
        var shiftV = Vector256.Create(shift);
        for (; i + 8 <= row.Length; i += 8)
        {
            var e = Vector256.Exp(Vector256.Create(row.Slice(i, 8)) - shiftV);
            sum += Vector256.WidenLower(e) + Vector256.WidenUpper(e);
        }
        double total = Vector256.Sum(sum);
        for (; i < row.Length; i++) total += Math.Exp(row[i] - shift);
        return (float)(shift + Math.Log(total));
    }
}
