using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GenCluster.Models.Runtime;

namespace GenCluster.Models.Kernels;

/// <summary>
/// Scaled dot-product attention (Vaswani et al. 2017) of one new query head against one row's cached keys and values,
/// as a fused step needs it: p = softmax over the visible slots of q·k_s / sqrt(d) (float32, max subtracted),
/// output = Σ_s p_s v_s. A slot the mask hides gets probability exactly 0, as torch's additive mask of float.MinValue gives.
/// </summary>
internal static unsafe class CachedAttention
{
    /// <summary>
    /// Attends the query of new token <paramref name="newIndex"/> (of <paramref name="count"/> new tokens written after
    /// <paramref name="past"/> cached slots) over <paramref name="keys"/> / <paramref name="values"/> [slots, d], seeing the
    /// slots <see cref="StepLayout.Sees"/> allows (the tree mask, default causal); <paramref name="scores"/> holds
    /// past + count floats of scratch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Attend(float* query, float* keys, float* values, int headDim, int past, int newIndex, int count, bool[,]? treeMask,
        bool[] rowValid, long[] rowPositions, int? slidingWindow, float* scores, float* output)
    {
        float scale = (float)(1.0 / Math.Sqrt(headDim));
        // Causal attention never sees the new tokens after this one.
        int end = treeMask is null ? past + newIndex + 1 : past + count;
        if (headDim % 16 == 0 && Vector512.IsHardwareAccelerated) Scores512(query, keys, headDim, end, scores);
        else
            for (int s = 0; s < end; s++) scores[s] = RowKernels.Dot(query, keys + (long)s * headDim, headDim);
        float max = float.NegativeInfinity;
        for (int s = 0; s < end; s++)
        {
            // A hidden slot's key may be anything (a slot never written, or another row's), so its score is set, not masked.
            if (!StepLayout.Sees(rowValid, rowPositions, past, newIndex, s, treeMask, slidingWindow))
            {
                scores[s] = float.NegativeInfinity;
                continue;
            }
            float score = scores[s] * scale;
            scores[s] = score;
            max = Math.Max(max, score);
        }
        float sum = RowKernels.ExpShifted(scores, end, max);
        if (headDim % 16 == 0 && Vector512.IsHardwareAccelerated)
        {
            Weighted512(scores, sum, values, headDim, end, output);
            return;
        }
        new Span<float>(output, headDim).Clear();
        for (int s = 0; s < end; s++)
            if (scores[s] != 0f) RowKernels.MultiplyAdd(scores[s] / sum, values + (long)s * headDim, output, headDim);
    }

    /// <summary>
    /// scores[s] = q·k_s for s &lt; <paramref name="end"/>, four slots at a time (four independent FMA chains, one reduction
    /// tree for the four sums): one slot at a time each dot product waited on its own chain and horizontal sum, and at a
    /// few hundred cached tokens attention cost the 135M shape about 1.3 ms per token.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Scores512(float* query, float* keys, int headDim, int end, float* scores)
    {
        int s = 0;
        for (; s + 4 <= end; s += 4)
        {
            float* k = keys + (long)s * headDim;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int d = 0; d < headDim; d += 16)
            {
                var q = Vector512.Load(query + d);
                a0 = Vector512.FusedMultiplyAdd(q, Vector512.Load(k + d), a0);
                a1 = Vector512.FusedMultiplyAdd(q, Vector512.Load(k + headDim + d), a1);
                a2 = Vector512.FusedMultiplyAdd(q, Vector512.Load(k + 2 * headDim + d), a2);
                a3 = Vector512.FusedMultiplyAdd(q, Vector512.Load(k + 3 * headDim + d), a3);
            }
            scores[s] = Vector512.Sum(a0);
            scores[s + 1] = Vector512.Sum(a1);
            scores[s + 2] = Vector512.Sum(a2);
            scores[s + 3] = Vector512.Sum(a3);
        }
        for (; s < end; s++)
        {
            float* k = keys + (long)s * headDim;
            Vector512<float> a = default;
            for (int d = 0; d < headDim; d += 16) a = Vector512.FusedMultiplyAdd(Vector512.Load(query + d), Vector512.Load(k + d), a);
            scores[s] = Vector512.Sum(a);
        }
    }

    /// <summary>
    /// output = Σ_s (e_s / sum) v_s over the slots with e_s ≠ 0 (a hidden slot's value may be anything), 16 output values
    /// at a time held in a register across the slots rather than loaded and stored per slot, in slot order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Weighted512(float* scores, float sum, float* values, int headDim, int end, float* output)
    {
        for (int d = 0; d < headDim; d += 16)
        {
            var acc = Vector512<float>.Zero;
            for (int s = 0; s < end; s++)
                if (scores[s] != 0f) acc = Vector512.FusedMultiplyAdd(Vector512.Create(scores[s] / sum), Vector512.Load(values + (long)s * headDim + d), acc);
            acc.Store(output + d);
        }
    }
}
