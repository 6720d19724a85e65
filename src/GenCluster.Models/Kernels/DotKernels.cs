using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenCluster.Models.Kernels;

/// <summary>
/// Inner loops of the decode matrix products: y[b, o] = Σ_i W[o, i] · x[b, i] for up to 8 input rows, over float32,
/// bfloat16 (widened in registers: bits &lt;&lt; 16) and int8 weights with one float scale per group of 32 inputs.
/// AVX2/FMA where present, else portable 256-bit vectors (the JIT lowers them to whatever the CPU has); float32 products
/// of 2 to 8 rows go to <see cref="PairKernels"/> where the CPU has AVX-512.
/// </summary>
internal static unsafe class DotKernels
{
    public const int MaxBatch = 8;
    public const int Int8Group = 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> acc) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, acc) : acc + a * b;

    /// <summary>A bfloat16 is the high half of a float32.</summary>
    public static float Bf16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> WidenInt8(sbyte* p)
    {
        if (Avx2.IsSupported) return Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(p));
        return Vector256.Create((float)p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
    }

    /// <summary>float32 weights: rows [start, end) of y for <paramref name="batch"/> inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void F32(float* w, int inDim, float* x, int batch, float* y, int outDim, int start, int end)
    {
        if (batch > 1 && PairKernels.Supported)
        {
            PairKernels.Product<Float32Lanes>(w, inDim, x, batch, y, outDim, start, end);
            return;
        }
        int vecEnd = inDim & ~7;
        int o = start;
        if (batch == 1)
            for (; o < end; o++) y[o] = RowDot(w + (long)o * inDim, x, inDim);
        else
            for (; o + 2 <= end; o += 2)
                for (int b = 0; b < batch; b += 4)
                    F32TwoByFour(w + (long)o * inDim, inDim, x + (long)b * inDim, Math.Min(4, batch - b), y + (long)b * outDim + o, outDim);
        var acc = stackalloc Vector256<float>[MaxBatch];
        for (; o < end; o++)
        {
            float* wr = w + (long)o * inDim;
            for (int b = 0; b < batch; b++) acc[b] = default;
            for (int i = 0; i < vecEnd; i += 8)
            {
                var wv = Vector256.Load(wr + i);
                for (int b = 0; b < batch; b++) acc[b] = MulAdd(wv, Vector256.Load(x + (long)b * inDim + i), acc[b]);
            }
            for (int b = 0; b < batch; b++)
            {
                float s = Vector256.Sum(acc[b]);
                for (int i = vecEnd; i < inDim; i++) s += wr[i] * x[(long)b * inDim + i];
                y[(long)b * outDim + o] = s;
            }
        }
    }

    /// <summary>
    /// One float32 weight row against x with four independent accumulators. Rows taken one after another read the
    /// weights as a single sequential stream, which the hardware prefetchers follow across rows and pages; interleaving
    /// several rows instead makes several short streams (a 576-wide row is 36 cache lines) that restart every few rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float RowDot(float* w, float* x, int inDim)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 32 <= inDim; i += 32)
        {
            a0 = MulAdd(Vector256.Load(w + i), Vector256.Load(x + i), a0);
            a1 = MulAdd(Vector256.Load(w + i + 8), Vector256.Load(x + i + 8), a1);
            a2 = MulAdd(Vector256.Load(w + i + 16), Vector256.Load(x + i + 16), a2);
            a3 = MulAdd(Vector256.Load(w + i + 24), Vector256.Load(x + i + 24), a3);
        }
        for (; i + 8 <= inDim; i += 8) a0 = MulAdd(Vector256.Load(w + i), Vector256.Load(x + i), a0);
        float sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        for (; i < inDim; i++) sum += w[i] * x[i];
        return sum;
    }

    /// <summary>
    /// Two weight rows against up to four input rows with all eight accumulators in registers (a memory-resident
    /// accumulator per row would cost a load and a store per FMA); the two weight rows stay in L1 for the next four
    /// inputs. Absent inputs (<paramref name="rows"/> &lt; 4) repeat the first and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void F32TwoByFour(float* w0, int inDim, float* x0, int rows, float* y, int outDim)
    {
        float* w1 = w0 + inDim;
        float* x1 = rows > 1 ? x0 + inDim : x0, x2 = rows > 2 ? x0 + 2L * inDim : x0, x3 = rows > 3 ? x0 + 3L * inDim : x0;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        int vecEnd = inDim & ~7;
        for (int i = 0; i < vecEnd; i += 8)
        {
            var u = Vector256.Load(w0 + i);
            var v = Vector256.Load(w1 + i);
            var p = Vector256.Load(x0 + i);
            a0 = MulAdd(u, p, a0);
            b0 = MulAdd(v, p, b0);
            p = Vector256.Load(x1 + i);
            a1 = MulAdd(u, p, a1);
            b1 = MulAdd(v, p, b1);
            p = Vector256.Load(x2 + i);
            a2 = MulAdd(u, p, a2);
            b2 = MulAdd(v, p, b2);
            p = Vector256.Load(x3 + i);
            a3 = MulAdd(u, p, a3);
            b3 = MulAdd(v, p, b3);
        }
        Finish(w0, x0, inDim, vecEnd, a0, b0, y);
        if (rows > 1) Finish(w0, x1, inDim, vecEnd, a1, b1, y + outDim);
        if (rows > 2) Finish(w0, x2, inDim, vecEnd, a2, b2, y + 2L * outDim);
        if (rows > 3) Finish(w0, x3, inDim, vecEnd, a3, b3, y + 3L * outDim);
    }

    /// <summary>y[0], y[1] = the two weight rows at <paramref name="w0"/> against x: the accumulators' sums plus the scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Finish(float* w0, float* x, int inDim, int vecEnd, Vector256<float> first, Vector256<float> second, float* y)
    {
        float* w1 = w0 + inDim;
        float s0 = Vector256.Sum(first), s1 = Vector256.Sum(second);
        for (int i = vecEnd; i < inDim; i++) { s0 += w0[i] * x[i]; s1 += w1[i] * x[i]; }
        y[0] = s0;
        y[1] = s1;
    }

    /// <summary>bfloat16 weights widened in registers (<see cref="BFloat16Kernels"/>); <paramref name="inDim"/> must be a multiple of 8.</summary>
    public static void Bf16(ushort* w, int inDim, float* x, int batch, float* y, int outDim, int start, int end) =>
        BFloat16Kernels.Product(w, inDim, x, batch, y, outDim, start, end, Vector512.IsHardwareAccelerated);

    /// <summary>
    /// int8 weights with a scale per group of 32 inputs: Σ_g scale_g · Σ_{i∈g} q_i x_i; <paramref name="inDim"/> a multiple of 32.
    /// Integer dot products (<see cref="Int8Kernels"/>) where the CPU has them, else <see cref="Int8Widened"/>.
    /// </summary>
    public static void Int8(sbyte* w, float* scales, int inDim, float* x, int batch, float* y, int outDim, int start, int end)
    {
        if (Int8Kernels.Integer) Int8Kernels.Product(w, scales, inDim, x, batch, y, outDim, start, end, Vector512.IsHardwareAccelerated);
        else Int8Widened(w, scales, inDim, x, batch, y, outDim, start, end);
    }

    /// <summary>The portable int8 product: weights widened to float32, float32 inputs as they are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Int8Widened(sbyte* w, float* scales, int inDim, float* x, int batch, float* y, int outDim, int start, int end)
    {
        int groups = inDim / Int8Group;
        var acc = stackalloc Vector256<float>[MaxBatch];
        for (int o = start; o < end; o++)
        {
            sbyte* wr = w + (long)o * inDim;
            float* sr = scales + (long)o * groups;
            for (int b = 0; b < batch; b++) acc[b] = default;
            for (int g = 0; g < groups; g++)
            {
                int i = g * Int8Group;
                var q0 = WidenInt8(wr + i);
                var q1 = WidenInt8(wr + i + 8);
                var q2 = WidenInt8(wr + i + 16);
                var q3 = WidenInt8(wr + i + 24);
                var scale = Vector256.Create(sr[g]);
                for (int b = 0; b < batch; b++)
                {
                    float* xb = x + (long)b * inDim + i;
                    var dot = Vector256.Load(xb) * q0;
                    dot = MulAdd(Vector256.Load(xb + 8), q1, dot);
                    dot = MulAdd(Vector256.Load(xb + 16), q2, dot);
                    dot = MulAdd(Vector256.Load(xb + 24), q3, dot);
                    acc[b] = MulAdd(dot, scale, acc[b]);
                }
            }
            for (int b = 0; b < batch; b++) y[(long)b * outDim + o] = Vector256.Sum(acc[b]);
        }
    }
}
