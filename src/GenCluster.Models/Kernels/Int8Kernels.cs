using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenCluster.Models.Kernels;

/// <summary>
/// y[b, o] = Σ_g s_og Σ_{i∈g} q_oi x_bi over int8 weights with a scale per group of 32 inputs, as integer dot products:
/// each input group is rounded once per call to int16 with its own scale t_bg = max|x_bg| / 32767, then per group
/// Σ q·round(x/t) is exact in int32 (vpmaddwd: |q| ≤ 127, 32 products &lt; 2^31) and y += s_og · t_bg · that sum.
/// An input moves by at most t_bg / 2 = max|x_bg| / 65534, about 250 times finer than the weights' own rounding
/// (max|w_g| / 254). Needs AVX2 (512-bit vectors with AVX-512BW); otherwise the weights are widened to float32.
/// </summary>
internal static unsafe class Int8Kernels
{
    const int Group = DotKernels.Int8Group;

    /// <summary>Whether the integer path runs here (it needs AVX2's 16-bit multiply-add).</summary>
    public static bool Integer => Avx2.IsSupported;

    /// <summary>Rows [start, end) of y for <paramref name="batch"/> inputs; 512-bit vectors when <paramref name="wide"/>.</summary>
    public static void Product(sbyte* w, float* scales, int inDim, float* x, int batch, float* y, int outDim, int start, int end, bool wide)
    {
        var q = stackalloc short[batch * inDim + 32];
        var t = stackalloc float[batch * inDim / Group];
        var aligned = Quantize(x, inDim, batch, q, t);
        ProductQuantized(w, scales, inDim, aligned, t, batch, y, outDim, start, end, wide);
    }

    /// <summary>
    /// Rounds the inputs [batch, in] once per layer call (every chunk shares them) into <paramref name="q"/>
    /// (batch · in + 32 shorts, used from its first 64-byte boundary, which is returned) and <paramref name="t"/> (batch · in / 32 floats).
    /// </summary>
    public static short* Quantize(float* x, int inDim, int batch, short* q, float* t)
    {
        var aligned = (short*)(((nint)q + 63) & ~(nint)63);
        for (int b = 0; b < batch; b++) Quantize(x + (long)b * inDim, inDim, aligned + (long)b * inDim, t + (long)b * (inDim / Group));
        return aligned;
    }

    /// <summary>Rows [start, end) of y from inputs already rounded by <see cref="Quantize(float*, int, int, short*, float*)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ProductQuantized(sbyte* w, float* scales, int inDim, short* q, float* t, int batch, float* y, int outDim, int start, int end, bool wide)
    {
        int groups = inDim / Group;
        wide &= Avx512BW.IsSupported;
        // Rows one after another: the weights stream sequentially, which the hardware prefetchers follow best.
        if (batch > 1)
        {
            for (int o = start; o < end; o++)
                RowBatch(w + (long)o * inDim, scales + (long)o * groups, inDim, q, t, batch, y + o, outDim);
            return;
        }
        if (wide)
        {
            // One factor s_og · t_g per group, multiplied 16 at a time per row rather than one scalar product per group.
            var factors = stackalloc float[groups + 16];
            for (int o = start; o < end; o++)
            {
                // The scales are a second, thin stream (4 bytes per 32 weights) whose misses stall each row's start; fetching
                // them 8 rows ahead, and the start of the row 4 ahead, raised one core's read rate from DRAM from about 13
                // to about 17 GB/s (576-wide rows, shared machine).
                Sse.Prefetch0(scales + (long)(o + 8) * groups);
                Sse.Prefetch0(scales + (long)(o + 8) * groups + 16);
                Sse.Prefetch0(w + (long)(o + 4) * inDim);
                Multiply(scales + (long)o * groups, t, factors, groups);
                y[o] = Row512(w + (long)o * inDim, factors, inDim, q);
            }
            return;
        }
        for (int o = start; o < end; o++) y[o] = Row256(w + (long)o * inDim, scales + (long)o * groups, inDim, q, t);
    }

    /// <summary>f[g] = s[g] · t[g] for g &lt; <paramref name="count"/>.</summary>
    static void Multiply(float* s, float* t, float* f, int count)
    {
        int g = 0;
        for (; g + 16 <= count; g += 16) (Vector512.Load(s + g) * Vector512.Load(t + g)).Store(f + g);
        for (; g < count; g++) f[g] = s[g] * t[g];
    }

    /// <summary>q = round(x / t_g) per group of 32 with t_g = max|x_g| / 32767 (t_g = 0 for an all-zero group).</summary>
    public static void Quantize(float* x, int inDim, short* q, float* t)
    {
        if (Avx512F.IsSupported)
        {
            Quantize512(x, inDim, q, t);
            return;
        }
        for (int g = 0; g < inDim / Group; g++)
        {
            float* xg = x + g * Group;
            float max = 0;
            for (int i = 0; i < Group; i++) max = MathF.Max(max, MathF.Abs(xg[i]));
            t[g] = max / 32767f;
            float inverse = max > 0 ? 32767f / max : 0;
            for (int i = 0; i < Group; i++) q[g * Group + i] = (short)MathF.Round(xg[i] * inverse);
        }
    }

    /// <summary>
    /// <see cref="Quantize(float*, int, short*, float*)"/> 32 inputs at a time, the same numbers: the conversion rounds to
    /// nearest even under the default rounding mode, as MathF.Round does. Runs on the caller before every int8 product
    /// is dispatched (120 times per token on the 135M shape), so the scalar loop had a core idle meanwhile.
    /// </summary>
    static void Quantize512(float* x, int inDim, short* q, float* t)
    {
        for (int g = 0; g < inDim / Group; g++)
        {
            float* xg = x + g * Group;
            var a = Vector512.Load(xg);
            var b = Vector512.Load(xg + 16);
            float max = MaxOf(Vector512.Max(Vector512.Abs(a), Vector512.Abs(b)));
            t[g] = max / 32767f;
            var inverse = Vector512.Create(max > 0 ? 32767f / max : 0);
            Avx512F.ConvertToVector256Int16(Avx512F.ConvertToVector512Int32(a * inverse)).Store(q + g * Group);
            Avx512F.ConvertToVector256Int16(Avx512F.ConvertToVector512Int32(b * inverse)).Store(q + g * Group + 16);
        }
    }

    /// <summary>The largest of 16 non-negative floats.</summary>
    static float MaxOf(Vector512<float> v)
    {
        var half = Vector256.Max(v.GetLower(), v.GetUpper());
        var quarter = Vector128.Max(half.GetLower(), half.GetUpper());
        float m = quarter[0];
        for (int i = 1; i < 4; i++) m = MathF.Max(m, quarter[i]);
        return m;
    }

    /// <summary>Σ over a group of 32 of q_w · q_x as 8 int32 partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> GroupDot(sbyte* w, Vector256<short> x0, Vector256<short> x1) =>
        Avx2.Add(Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(w), x0), Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(w + 16), x1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Scaled(Vector256<int> sums, float scale, Vector256<float> acc) =>
        DotKernels.MulAdd(Avx.ConvertToVector256Single(sums), Vector256.Create(scale), acc);

    /// <summary>One weight row against one quantized input row, alternate groups into two accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float Row256(sbyte* w, float* s, int inDim, short* q, float* t)
    {
        Vector256<float> a0 = default, a1 = default;
        int g = 0, i = 0;
        for (; i + 2 * Group <= inDim; g += 2, i += 2 * Group)
        {
            a0 = Scaled(GroupDot(w + i, Vector256.Load(q + i), Vector256.Load(q + i + 16)), s[g] * t[g], a0);
            a1 = Scaled(GroupDot(w + i + Group, Vector256.Load(q + i + Group), Vector256.Load(q + i + Group + 16)), s[g + 1] * t[g + 1], a1);
        }
        if (i < inDim) a0 = Scaled(GroupDot(w + i, Vector256.Load(q + i), Vector256.Load(q + i + 16)), s[g] * t[g], a0);
        return Vector256.Sum(a0 + a1);
    }

    /// <summary>One weight row against every input row: each group is widened to int16 once and serves all of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void RowBatch(sbyte* w, float* s, int inDim, short* q, float* t, int batch, float* y, int outDim)
    {
        int groups = inDim / Group;
        var acc = stackalloc Vector256<float>[DotKernels.MaxBatch];
        for (int b = 0; b < batch; b++) acc[b] = default;
        for (int g = 0, i = 0; i < inDim; g++, i += Group)
        {
            var w0 = Avx2.ConvertToVector256Int16(w + i);
            var w1 = Avx2.ConvertToVector256Int16(w + i + 16);
            for (int b = 0; b < batch; b++)
            {
                short* qb = q + (long)b * inDim + i;
                var sums = Avx2.Add(Avx2.MultiplyAddAdjacent(w0, Vector256.Load(qb)), Avx2.MultiplyAddAdjacent(w1, Vector256.Load(qb + 16)));
                acc[b] = Scaled(sums, s[g] * t[(long)b * groups + g], acc[b]);
            }
        }
        for (int b = 0; b < batch; b++) y[(long)b * outDim] = Vector256.Sum(acc[b]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Scaled512(sbyte* w, short* q, float* factor, Vector512<float> acc) =>
        Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(w)), Vector512.Load(q))),
            Vector512.Create(*factor), acc);

    /// <summary><see cref="Row256"/> with 512-bit vectors: one group of 32 per multiply-add, four accumulators (the FMA latency bound two).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float Row512(sbyte* w, float* factors, int inDim, short* q)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int g = 0, i = 0;
        for (; i + 4 * Group <= inDim; g += 4, i += 4 * Group)
        {
            a0 = Scaled512(w + i, q + i, factors + g, a0);
            a1 = Scaled512(w + i + Group, q + i + Group, factors + g + 1, a1);
            a2 = Scaled512(w + i + 2 * Group, q + i + 2 * Group, factors + g + 2, a2);
            a3 = Scaled512(w + i + 3 * Group, q + i + 3 * Group, factors + g + 3, a3);
        }
        for (; i < inDim; g++, i += Group) a0 = Scaled512(w + i, q + i, factors + g, a0);
        return Vector512.Sum((a0 + a1) + (a2 + a3));
    }
}
