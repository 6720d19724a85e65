using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenCluster.Models.Kernels;

/// <summary>
/// Products y[b, o] = Σ_i W[o, i] x[b, i] for 1 to 8 input rows with 512-bit vectors: two weight rows at a
/// time against every input row, sixteen accumulators in registers (two weight loads and up to eight input loads,
/// from L1, per sixteen FMAs, so the loop is bound by FMA throughput rather than loads), then one transpose-style
/// reduction tree that turns the sixteen accumulators into their sixteen sums with 15 adds and 30 shuffles instead of
/// sixteen separate horizontal sums. The input count is a type parameter, so the JIT drops absent rows from the loop.
/// The weight format is one too (<see cref="Float32Lanes"/>, <see cref="BFloat16Lanes"/>): bfloat16 widens each
/// 16-weight chunk once for all input rows. Each step prefetches as many bytes of the row pair after next as it reads,
/// so the pass streams the weights sequentially (see Kernels/README.md, "Streaming the weights").
/// Batch invariance: each (weight row, input row) sum is one accumulator over the same chunks and the same reduction
/// whatever the input count, so a row's output is bit for bit the same alone or beside 7 others, and a session's
/// tokens do not depend on which other sessions share its batched decode step (continuous batching). With
/// LoadOptions.BatchInvariant (the default) batch 1 runs here too for that reason, four weight rows at a time (<see cref="Singles{TW}"/>: two FMA chains would leave a
/// cache-resident model's step latency-bound) with each row's sum reduced in the tree's order (<see cref="ReduceOne"/>).
/// </summary>
internal static unsafe class PairKernels
{
    /// <summary>Whether the 512-bit kernels run here (AVX-512F, and the JIT treats 512-bit vectors as fast).</summary>
    public static bool Supported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Rows [start, end) of y [batch, out] for 1 ≤ <paramref name="batch"/> ≤ 8 input rows x [batch, in].</summary>
    public static void Product<TW>(void* w, int inDim, float* x, int batch, float* y, int outDim, int start, int end) where TW : struct, IWeightLanes
    {
        switch (batch)
        {
            case 1: Singles<TW>((byte*)w, inDim, x, y, start, end); break;
            case 2: Pairs<TW, Inputs2>((byte*)w, inDim, x, y, outDim, start, end); break;
            case 3: Pairs<TW, Inputs3>((byte*)w, inDim, x, y, outDim, start, end); break;
            case 4: Pairs<TW, Inputs4>((byte*)w, inDim, x, y, outDim, start, end); break;
            case 5: Pairs<TW, Inputs5>((byte*)w, inDim, x, y, outDim, start, end); break;
            case 6: Pairs<TW, Inputs6>((byte*)w, inDim, x, y, outDim, start, end); break;
            case 7: Pairs<TW, Inputs7>((byte*)w, inDim, x, y, outDim, start, end); break;
            case 8: Pairs<TW, Inputs8>((byte*)w, inDim, x, y, outDim, start, end); break;
            default: throw new ArgumentOutOfRangeException(nameof(batch), $"pair kernels take 1 to 8 input rows, got {batch}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Pairs<TW, TN>(byte* w, int inDim, float* x, float* y, int outDim, int start, int end)
        where TW : struct, IWeightLanes where TN : struct, IInputCount
    {
        int n = TN.Count;
        long rowBytes = (long)inDim * TW.ElementSize;
        int vecEnd = inDim & ~15;
        float* x1 = x + inDim, x2 = x1 + inDim, x3 = x2 + inDim, x4 = x3 + inDim, x5 = x4 + inDim, x6 = x5 + inDim, x7 = x6 + inDim;
        var sums = stackalloc float[16];
        int o = start;
        for (; o + 2 <= end; o += 2)
        {
            byte* w0 = w + o * rowBytes, w1 = w0 + rowBytes, ahead = w1 + 3 * rowBytes;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
            for (int i = 0; i < vecEnd; i += 16)
            {
                // Two rows read side by side are two streams, which the hardware prefetchers follow poorly from DRAM (2-row
                // products ran at a third of a 1-row pass's bandwidth). The rows after the next pair are one contiguous
                // block: fetching it into L2 as much per step as this step reads makes the pass one sequential stream
                // again (from DRAM, 3- and 4-row products then cost about what a 1-row pass does; a nearer target or L1
                // measured slower for 3 or more rows, where each step is long).
                Sse.Prefetch1(ahead + 2 * i * TW.ElementSize);
                Sse.Prefetch1(ahead + 2 * i * TW.ElementSize + 64);
                var u = TW.Load(w0, i);
                var v = TW.Load(w1, i);
                var p = Vector512.Load(x + i);
                a0 = Vector512.FusedMultiplyAdd(u, p, a0);
                b0 = Vector512.FusedMultiplyAdd(v, p, b0);
                if (n > 1) { p = Vector512.Load(x1 + i); a1 = Vector512.FusedMultiplyAdd(u, p, a1); b1 = Vector512.FusedMultiplyAdd(v, p, b1); }
                if (n > 2) { p = Vector512.Load(x2 + i); a2 = Vector512.FusedMultiplyAdd(u, p, a2); b2 = Vector512.FusedMultiplyAdd(v, p, b2); }
                if (n > 3) { p = Vector512.Load(x3 + i); a3 = Vector512.FusedMultiplyAdd(u, p, a3); b3 = Vector512.FusedMultiplyAdd(v, p, b3); }
                if (n > 4) { p = Vector512.Load(x4 + i); a4 = Vector512.FusedMultiplyAdd(u, p, a4); b4 = Vector512.FusedMultiplyAdd(v, p, b4); }
                if (n > 5) { p = Vector512.Load(x5 + i); a5 = Vector512.FusedMultiplyAdd(u, p, a5); b5 = Vector512.FusedMultiplyAdd(v, p, b5); }
                if (n > 6) { p = Vector512.Load(x6 + i); a6 = Vector512.FusedMultiplyAdd(u, p, a6); b6 = Vector512.FusedMultiplyAdd(v, p, b6); }
                if (n > 7) { p = Vector512.Load(x7 + i); a7 = Vector512.FusedMultiplyAdd(u, p, a7); b7 = Vector512.FusedMultiplyAdd(v, p, b7); }
            }
            // Sum lanes: a_j at (j & 1) * 8 + j / 2, b_j four lanes later (see Reduce).
            Reduce(
                Interleave(Fold(a0, b0), Fold(a1, b1)), Interleave(Fold(a2, b2), Fold(a3, b3)),
                Interleave(Fold(a4, b4), Fold(a5, b5)), Interleave(Fold(a6, b6), Fold(a7, b7))).Store(sums);
            for (int j = 0; j < n; j++)
            {
                float* xj = x + (long)j * inDim;
                int lane = (j & 1) * 8 + j / 2;
                float s0 = sums[lane], s1 = sums[lane + 4];
                for (int i = vecEnd; i < inDim; i++)
                {
                    s0 += TW.At(w0, i) * xj[i];
                    s1 += TW.At(w1, i) * xj[i];
                }
                y[(long)j * outDim + o] = s0;
                y[(long)j * outDim + o + 1] = s1;
            }
        }
        if (o < end) LastRow<TW>(w + o * rowBytes, inDim, vecEnd, x, n, y + o, outDim);
    }

    /// <summary>
    /// One input row: four weight rows per step (four independent FMA chains, one accumulator each, as the pair loop
    /// keeps per row), each sum reduced as <see cref="Reduce"/> reduces it; rows the pair loop leaves to
    /// <see cref="LastRow{TW}"/> (the last of an odd chunk) go there here too, so every row's bits match a batched pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Singles<TW>(byte* w, int inDim, float* x, float* y, int start, int end) where TW : struct, IWeightLanes
    {
        long rowBytes = (long)inDim * TW.ElementSize;
        int vecEnd = inDim & ~15;
        int paired = start + (end - start) / 2 * 2;
        int o = start;
        for (; o < paired; o += 4)
        {
            int rows = Math.Min(4, paired - o);
            byte* w0 = w + o * rowBytes, w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes, ahead = w0 + 8 * rowBytes; // the quad after next
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < vecEnd; i += 16)
            {
                // As many bytes of the quad after next as this step reads (four rows' 16 weights), as the pair loop does.
                byte* next = ahead + 4 * i * TW.ElementSize;
                for (int line = 0; line < 4 * 16 * TW.ElementSize; line += 64) Sse.Prefetch1(next + line);
                var p = Vector512.Load(x + i);
                a0 = Vector512.FusedMultiplyAdd(TW.Load(w0, i), p, a0);
                a1 = Vector512.FusedMultiplyAdd(TW.Load(w1, i), p, a1);
                if (rows > 2)
                {
                    a2 = Vector512.FusedMultiplyAdd(TW.Load(w2, i), p, a2);
                    a3 = Vector512.FusedMultiplyAdd(TW.Load(w3, i), p, a3);
                }
            }
            y[o] = Tail<TW>(ReduceOne(a0), w0, x, vecEnd, inDim);
            y[o + 1] = Tail<TW>(ReduceOne(a1), w1, x, vecEnd, inDim);
            if (rows > 2)
            {
                y[o + 2] = Tail<TW>(ReduceOne(a2), w2, x, vecEnd, inDim);
                y[o + 3] = Tail<TW>(ReduceOne(a3), w3, x, vecEnd, inDim);
            }
        }
        if (o < end) LastRow<TW>(w + o * rowBytes, inDim, vecEnd, x, 1, y + o, 0);
    }

    /// <summary>The scalar tail of a row's product after its vector part <paramref name="sum"/>, in the pair loop's order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Tail<TW>(float sum, byte* row, float* x, int vecEnd, int inDim) where TW : struct, IWeightLanes
    {
        for (int i = vecEnd; i < inDim; i++) sum += TW.At(row, i) * x[i];
        return sum;
    }

    /// <summary>
    /// The sum of one accumulator's sixteen lanes in exactly the order <see cref="Fold"/>, <see cref="Interleave"/> and
    /// <see cref="Reduce"/> add them: g_k = (a_k + a_k+8) + (a_k+4 + a_k+12), then (g_0 + g_2) + (g_1 + g_3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float ReduceOne(Vector512<float> a)
    {
        var g = (a.GetLower().GetLower() + a.GetUpper().GetLower()) + (a.GetLower().GetUpper() + a.GetUpper().GetUpper());
        return (g[0] + g[2]) + (g[1] + g[3]);
    }

    /// <summary>A leftover single weight row (an odd chunk) against each input row.</summary>
    static void LastRow<TW>(byte* row, int inDim, int vecEnd, float* x, int n, float* y, int outDim) where TW : struct, IWeightLanes
    {
        for (int j = 0; j < n; j++)
        {
            float* xj = x + (long)j * inDim;
            Vector512<float> acc = default;
            for (int i = 0; i < vecEnd; i += 16) acc = Vector512.FusedMultiplyAdd(TW.Load(row, i), Vector512.Load(xj + i), acc);
            float s = Vector512.Sum(acc);
            for (int i = vecEnd; i < inDim; i++) s += TW.At(row, i) * xj[i];
            y[(long)j * outDim] = s;
        }
    }

    /// <summary>
    /// Level 1 of the tree: 128-bit lanes [a0 + a2, a1 + a3, b0 + b2, b1 + b3] (a's partial sums in lanes 0-1, b's in 2-3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Fold(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Shuffle4x128(a, b, 0b01_00_01_00) + Avx512F.Shuffle4x128(a, b, 0b11_10_11_10);

    /// <summary>Level 2: two folds p (rows a, b of input j) and q (input k) into lanes [a_j, b_j, a_k, b_k], four partials each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Interleave(Vector512<float> p, Vector512<float> q) =>
        Avx512F.Shuffle4x128(p, q, 0b10_00_10_00) + Avx512F.Shuffle4x128(p, q, 0b11_01_11_01);

    /// <summary>
    /// Levels 3 and 4: four interleaved vectors (inputs 0-1, 2-3, 4-5, 6-7) into one whose 128-bit lane L holds the
    /// totals of lane L of each of the four, in that order: lane 0 = a of inputs 0, 2, 4, 6; lane 1 = b of the same;
    /// lane 2 = a of inputs 1, 3, 5, 7; lane 3 = b of those.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Reduce(Vector512<float> q01, Vector512<float> q23, Vector512<float> q45, Vector512<float> q67)
    {
        var r0 = Pairwise(q01, q23);
        var r1 = Pairwise(q45, q67);
        return Avx512F.Shuffle(r0, r1, 0b10_00_10_00) + Avx512F.Shuffle(r0, r1, 0b11_01_11_01);
    }

    /// <summary>Per 128-bit lane [p0 + p2, p1 + p3, q0 + q2, q1 + q3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Pairwise(Vector512<float> p, Vector512<float> q) =>
        Avx512F.UnpackLow(p.AsDouble(), q.AsDouble()).AsSingle() + Avx512F.UnpackHigh(p.AsDouble(), q.AsDouble()).AsSingle();
}
