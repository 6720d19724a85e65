using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenCluster.Models.Kernels;

/// <summary>
/// The element-wise pieces of a fused decode step on float32 rows, written to give the numbers torch's ops give
/// (same formula, same order of float32 roundings; exponentials from .NET's vector Exp, within an ulp or so like torch's
/// SLEEF one): RMSNorm, residual add, SwiGLU, rotary embedding, softmax exponentials, dot and axpy.
/// </summary>
internal static unsafe class RowKernels
{
    /// <summary>
    /// RMSNorm (Zhang &amp; Sennrich 2019) as transformers' LlamaRMSNorm: y = w · (x · 1/sqrt(mean(x²) + eps)), per row of
    /// <paramref name="width"/> values. The sum of squares is accumulated in double (torch's float32 cascade sum is
    /// as close to exact for these widths).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RmsNorm(float* x, float* weight, float* y, int rows, int width, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            float* xr = x + (long)r * width, yr = y + (long)r * width;
            double sum = 0;
            for (int i = 0; i < width; i++) sum += (double)xr[i] * xr[i];
            float inverse = 1f / MathF.Sqrt((float)(sum / width) + eps);
            for (int i = 0; i < width; i++) yr[i] = weight[i] * (xr[i] * inverse);
        }
    }

    /// <summary>x += y over <paramref name="count"/> values (the residual connection).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(float* x, float* y, long count)
    {
        long i = 0;
        for (; i + 8 <= count; i += 8) (Vector256.Load(x + i) + Vector256.Load(y + i)).Store(x + i);
        for (; i < count; i++) x[i] += y[i];
    }

    /// <summary>
    /// SwiGLU (Shazeer 2020): out = silu(gate) · up with silu(g) = g / (1 + e^(-g)), for rows laid out as
    /// [gate (width) | up (width)] (the fused gate/up product).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SiluGate(float* gateUp, float* output, int rows, int width)
    {
        var one = Vector256<float>.One;
        for (int r = 0; r < rows; r++)
        {
            float* gate = gateUp + 2L * r * width, up = gate + width, o = output + (long)r * width;
            int i = 0;
            for (; i + 8 <= width; i += 8)
            {
                var g = Vector256.Load(gate + i);
                (g / (one + Vector256.Exp(-g)) * Vector256.Load(up + i)).Store(o + i);
            }
            for (; i < width; i++) o[i] = gate[i] / (1f + MathF.Exp(-gate[i])) * up[i];
        }
    }

    /// <summary>
    /// Replaces <paramref name="length"/> scores by e^(score - max) and returns their sum; a score of -∞ (a hidden
    /// slot) becomes exactly 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float ExpShifted(float* scores, int length, float max)
    {
        int i = 0;
        var shift = Vector256.Create(max);
        var hidden = Vector256.Create(float.NegativeInfinity);
        var sum = Vector256<float>.Zero;
        for (; i + 8 <= length; i += 8)
        {
            var v = Vector256.Load(scores + i);
            var e = Vector256.ConditionalSelect(Vector256.Equals(v, hidden), Vector256<float>.Zero, Vector256.Exp(v - shift));
            e.Store(scores + i);
            sum += e;
        }
        float total = Vector256.Sum(sum);
        for (; i < length; i++)
        {
            float e = float.IsNegativeInfinity(scores[i]) ? 0f : MathF.Exp(scores[i] - max);
            scores[i] = e;
            total += e;
        }
        return total;
    }

    /// <summary>
    /// Rotary embedding of one head in the rotate_half convention (transformers' Llama): out = x · cos + rotate_half(x) · sin
    /// with rotate_half(x) = [-x₂, x₁]; cos and sin are the table rows [head_dim] of the token's position.
    /// <paramref name="x"/> and <paramref name="output"/> may be the same memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rotate(float* x, float* cos, float* sin, float* output, int headDim)
    {
        int half = headDim / 2;
        for (int i = 0; i < half; i++)
        {
            float first = x[i], second = x[i + half];
            output[i] = first * cos[i] + -second * sin[i];
            output[i + half] = second * cos[i + half] + first * sin[i + half];
        }
    }

    /// <summary>Σ a_i b_i over <paramref name="length"/> values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(float* a, float* b, int length)
    {
        int i = 0;
        var acc = Vector256<float>.Zero;
        for (; i + 8 <= length; i += 8) acc += Vector256.Load(a + i) * Vector256.Load(b + i);
        float sum = Vector256.Sum(acc);
        for (; i < length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>y += a · x over <paramref name="length"/> values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(float a, float* x, float* y, int length)
    {
        int i = 0;
        var av = Vector256.Create(a);
        for (; i + 8 <= length; i += 8) (Vector256.Load(y + i) + av * Vector256.Load(x + i)).Store(y + i);
        for (; i < length; i++) y[i] += a * x[i];
    }
}
