using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenCluster.Models.Kernels;

/// <summary>
/// y[b, o] = Σ_i W[o, i] x[b, i] over bfloat16 weights. A bfloat16 is the high half of a float32, so a 32-bit lane
/// holding elements 2j (low half) and 2j+1 (high half) widens with one operation each: lane &lt;&lt; 16 is element 2j and
/// lane &amp; 0xFFFF0000 is element 2j+1. The inputs are split once per call into the matching even | odd order per block
/// of 2 × (vector width) elements, so the inner loop is a load, a shift, an AND and two FMAs per 2 × width weights.
/// Sums run in a different order than torch's (float32 rounding only).
/// </summary>
internal static unsafe class BFloat16Kernels
{
    /// <summary>
    /// Rows [start, end) of y for <paramref name="batch"/> inputs; 512-bit vectors when <paramref name="wide"/>, and then
    /// 2 to 8 rows go to <see cref="PairKernels"/>, which widen each weight once for every input row.
    /// </summary>
    public static void Product(ushort* w, int inDim, float* x, int batch, float* y, int outDim, int start, int end, bool wide)
    {
        if (batch > 1 && wide && PairKernels.Supported)
        {
            PairKernels.Product<BFloat16Lanes>(w, inDim, x, batch, y, outDim, start, end);
            return;
        }
        var buffer = stackalloc float[SplitFloats(inDim, batch)];
        var split = Split(x, inDim, batch, wide, buffer);
        ProductSplit(w, inDim, x, split, batch, y, outDim, start, end, wide);
    }

    /// <summary>Floats <see cref="Split(float*, int, int, bool, float*)"/> needs in its buffer.</summary>
    public static int SplitFloats(int inDim, int batch) => batch * inDim + 16;

    /// <summary>
    /// The inputs [batch, in] in the order the products read them (once per layer call, shared by every chunk), in
    /// <paramref name="buffer"/> aligned to 64 bytes so no input load straddles two cache lines; returns the aligned start.
    /// </summary>
    public static float* Split(float* x, int inDim, int batch, bool wide, float* buffer)
    {
        int block = Block(batch, wide);
        int paired = inDim / block * block;
        var split = (float*)(((nint)buffer + 63) & ~(nint)63);
        for (int b = 0; b < batch; b++) Split(x + (long)b * inDim, split + (long)b * paired, paired, block);
        return split;
    }

    /// <summary>512-bit blocks of 32 at batch 1 (the batched loop works in blocks of 16).</summary>
    static int Block(int batch, bool wide) => wide && batch == 1 ? 32 : 16;

    /// <summary>Rows [start, end) of y from inputs already <see cref="Split(float*, int, int, bool, float*)"/> (x itself serves the tails).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ProductSplit(ushort* w, int inDim, float* x, float* split, int batch, float* y, int outDim, int start, int end, bool wide)
    {
        wide &= batch == 1;
        int block = Block(batch, wide);
        int paired = inDim / block * block;
        for (int o = start; o < end; o++)
        {
            ushort* row = w + (long)o * inDim;
            for (int b = 0; b < batch; b++)
            {
                y[(long)b * outDim + o] = wide ? Row512(row, paired, split) : Row256(row, paired, split + (long)b * paired);
                if (paired < inDim) y[(long)b * outDim + o] += Tail(row, inDim, paired, x + (long)b * inDim);
            }
        }
    }

    /// <summary>Per block of <paramref name="block"/> inputs: the even-indexed ones, then the odd-indexed ones.</summary>
    static void Split(float* x, float* split, int count, int block)
    {
        int half = block / 2;
        for (int k = 0; k < count; k += block)
            for (int j = 0; j < half; j++)
            {
                split[k + j] = x[k + 2 * j];
                split[k + half + j] = x[k + 2 * j + 1];
            }
    }

    /// <summary>The inputs past the last whole block (fewer than a block), widened one at a time.</summary>
    static float Tail(ushort* w, int inDim, int paired, float* x)
    {
        float sum = 0;
        for (int i = paired; i < inDim; i++) sum += DotKernels.Bf16ToSingle(w[i]) * x[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Even(Vector256<uint> pairs) => (pairs << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Odd(Vector256<uint> pairs) => (pairs & Vector256.Create(0xFFFF0000u)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Even(Vector512<uint> pairs) => (pairs << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Odd(Vector512<uint> pairs) => (pairs & Vector512.Create(0xFFFF0000u)).AsSingle();

    /// <summary>
    /// One weight row against one split input row (whole blocks of 16), two blocks per iteration into four accumulators.
    /// Rows go one after another so the weights stream sequentially, which the hardware prefetchers follow best.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float Row256(ushort* w, int paired, float* split)
    {
        Vector256<float> e0 = default, d0 = default, e1 = default, d1 = default;
        int k = 0;
        for (; k + 32 <= paired; k += 32)
        {
            var p = Vector256.Load((uint*)(w + k));
            var q = Vector256.Load((uint*)(w + k + 16));
            e0 = DotKernels.MulAdd(Even(p), Vector256.Load(split + k), e0);
            d0 = DotKernels.MulAdd(Odd(p), Vector256.Load(split + k + 8), d0);
            e1 = DotKernels.MulAdd(Even(q), Vector256.Load(split + k + 16), e1);
            d1 = DotKernels.MulAdd(Odd(q), Vector256.Load(split + k + 24), d1);
        }
        if (k < paired)
        {
            var p = Vector256.Load((uint*)(w + k));
            e0 = DotKernels.MulAdd(Even(p), Vector256.Load(split + k), e0);
            d0 = DotKernels.MulAdd(Odd(p), Vector256.Load(split + k + 8), d0);
        }
        return Vector256.Sum((e0 + d0) + (e1 + d1));
    }

    /// <summary><see cref="Row256"/> with 512-bit vectors (blocks of 32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float Row512(ushort* w, int paired, float* split)
    {
        Vector512<float> e0 = default, d0 = default, e1 = default, d1 = default;
        int k = 0;
        for (; k + 64 <= paired; k += 64)
        {
            var p = Vector512.Load((uint*)(w + k));
            var q = Vector512.Load((uint*)(w + k + 32));
            e0 = Vector512.FusedMultiplyAdd(Even(p), Vector512.Load(split + k), e0);
            d0 = Vector512.FusedMultiplyAdd(Odd(p), Vector512.Load(split + k + 16), d0);
            e1 = Vector512.FusedMultiplyAdd(Even(q), Vector512.Load(split + k + 32), e1);
            d1 = Vector512.FusedMultiplyAdd(Odd(q), Vector512.Load(split + k + 48), d1);
        }
        if (k < paired)
        {
            var p = Vector512.Load((uint*)(w + k));
            e0 = Vector512.FusedMultiplyAdd(Even(p), Vector512.Load(split + k), e0);
            d0 = Vector512.FusedMultiplyAdd(Odd(p), Vector512.Load(split + k + 16), d0);
        }
        return Vector512.Sum((e0 + d0) + (e1 + d1));
    }
}
