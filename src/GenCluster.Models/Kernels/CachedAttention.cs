using System.Runtime.CompilerServices;
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
        float max = float.NegativeInfinity;
        // Causal attention never sees the new tokens after this one.
        int end = treeMask is null ? past + newIndex + 1 : past + count;
        for (int s = 0; s < end; s++)
        {
            if (!StepLayout.Sees(rowValid, rowPositions, past, newIndex, s, treeMask, slidingWindow))
            {
                scores[s] = float.NegativeInfinity;
                continue;
            }
            float score = RowKernels.Dot(query, keys + (long)s * headDim, headDim) * scale;
            scores[s] = score;
            max = Math.Max(max, score);
        }
        float sum = RowKernels.ExpShifted(scores, end, max);
        new Span<float>(output, headDim).Clear();
        for (int s = 0; s < end; s++)
            if (scores[s] != 0f) RowKernels.MultiplyAdd(scores[s] / sum, values + (long)s * headDim, output, headDim);
    }
}
