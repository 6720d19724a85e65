using System.Runtime.CompilerServices;
using GenCluster.Models.Runtime;

namespace GenCluster.Models.Kernels;

/// <summary>
/// Scaled dot-product attention (Vaswani et al. 2017) of one new query head against one row's cached keys and values,
/// as the decode step needs it: p = softmax over the visible slots of q·k_s / sqrt(d) (float32, max subtracted),
/// output = Σ_s p_s v_s. A slot the mask hides gets probability exactly 0, as torch's additive mask of float.MinValue gives.
/// </summary>
internal static unsafe class CachedAttention
{
    /// <summary>
    /// Attends query <paramref name="query"/> [d] over slots 0 .. past (the new token's own slot last) of
    /// <paramref name="keys"/> / <paramref name="values"/> [slots, d]; <paramref name="scores"/> holds past + 1 floats of scratch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Attend(float* query, float* keys, float* values, int headDim, int past, bool[] rowValid, long[] rowPositions,
        int? slidingWindow, float* scores, float* output)
    {
        float scale = (float)(1.0 / Math.Sqrt(headDim));
        float max = float.NegativeInfinity;
        for (int s = 0; s <= past; s++)
        {
            if (!StepLayout.Sees(rowValid, rowPositions, past, 0, s, null, slidingWindow))
            {
                scores[s] = float.NegativeInfinity;
                continue;
            }
            float score = RowKernels.Dot(query, keys + (long)s * headDim, headDim) * scale;
            scores[s] = score;
            max = Math.Max(max, score);
        }
        float sum = RowKernels.ExpShifted(scores, past + 1, max);
        new Span<float>(output, headDim).Clear();
        for (int s = 0; s <= past; s++)
            if (scores[s] != 0f) RowKernels.MultiplyAdd(scores[s] / sum, values + (long)s * headDim, output, headDim);
    }
}
