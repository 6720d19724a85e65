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
    /// w_i = exp(row_i - shift) in float64 (0 for -inf and below exp(-700)), vectorised, into <paramref name="w"/>
    /// unless it is empty; returns their sum, accumulated in four lanes
    /// then the tail: a fixed order, so the same row gives the same bits on every machine with this code.
    /// </summary>
    public static double ExpShifted(ReadOnlySpan<float> row, float shift, Span<double> w)
    {
        bool store = !w.IsEmpty;
        int i = 0;
        var sum = Vector256<double>.Zero;
        var shiftV = Vector256.Create((double)shift);
        var inRange = Vector256.Create(shift - 700f); // one test per 8 entries for the common all-in-range case
        for (; i + 8 <= row.Length; i += 8)
        {
            var x = Vector256.Create(row.Slice(i, 8));
            bool plain = Vector256.GreaterThanOrEqualAll(x, inRange);
            var lower = plain ? Vector256.Exp(Vector256.WidenLower(x) - shiftV) : ExpOrZero(Vector256.WidenLower(x) - shiftV);
            var upper = plain ? Vector256.Exp(Vector256.WidenUpper(x) - shiftV) : ExpOrZero(Vector256.WidenUpper(x) - shiftV);
            if (store)
            {
                lower.CopyTo(w.Slice(i, 4));
                upper.CopyTo(w.Slice(i + 4, 4));
            }
            sum += lower + upper;
        }
        double total = Vector256.Sum(sum);
        for (; i < row.Length; i++)
        {
            double e = Math.Exp(row[i] - (double)shift);
            if (store) w[i] = e;
            total += e;
        }
        return total;
    }

    // Vector256.Exp takes a slow scalar path for a whole vector when one lane is far out of range, as the -inf of
    // filtered tokens are. Lanes below the floor, whose exponentials (under 1e-300) vanish in any sum
    // that holds the maximum's exp(0) = 1, are set to 0 without it.
    static readonly Vector256<double> DoubleFloor = Vector256.Create(-700.0);

    static Vector256<double> ExpOrZero(Vector256<double> x)
    {
        var below = Vector256.LessThan(x, DoubleFloor);
        uint lanes = below.ExtractMostSignificantBits();
        if (lanes == 0) return Vector256.Exp(x);
        if (lanes == 0xF) return Vector256<double>.Zero;
        return Vector256.ConditionalSelect(below, Vector256<double>.Zero, Vector256.Exp(Vector256.Max(x, DoubleFloor)));
    }

    /// <summary>
    /// log Σ exp(x_i) as torch.logsumexp computes it: the row maximum m (0 when infinite) is shifted out,
    /// m + log Σ exp(x_i - m); the exponentials and their sum in double (<see cref="ExpShifted"/>).
    /// </summary>
    public static float LogSumExp(ReadOnlySpan<float> row)
    {
        float max = Max(row);
        if (float.IsNaN(max)) return float.NaN;
        float shift = float.IsInfinity(max) ? 0 : max;
        return (float)(shift + Math.Log(ExpShifted(row, shift, default)));
    }
}
