using GenCluster.Models.Kernels;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GenCluster.Models.Tests.Kernels;

/// <summary>The integer int8 product against torch's linear on the dequantized weights, and its input rounding bound.</summary>
public unsafe class Int8KernelsTests
{
    [Theory]
    [InlineData(1, 37, 576)]
    [InlineData(1, 4, 32)]
    [InlineData(1, 7, 96)]    // an odd number of groups
    [InlineData(3, 10, 64)]
    [InlineData(8, 6, 1536)]
    public void ProductEqualsTorchLinearOnTheDequantizedWeights(int batch, int outDim, int inDim)
    {
        Assert.True(Int8Kernels.Integer, "this machine kind has AVX2");
        manual_seed(batch * 100 + inDim);
        using var packed = new PackedLinear(randn(outDim, inDim) * 0.05f, null, WeightFormat.Int8, useKernels: true);
        using var dequantized = packed.Dequantized();
        // The stored form, rebuilt as PackedLinear documents it: q = round(w / s), s = max|w_group| / 127.
        using var scales = (dequantized.view(outDim, -1, 32).abs().amax(new long[] { -1 }) / 127f).contiguous();
        using var q = (dequantized.view(outDim, -1, 32) / scales.unsqueeze(-1)).round().to(ScalarType.Int8).view(outDim, inDim).contiguous();
        using var x = randn(batch, inDim);
        x[0, 3] = 40f; // an outlier sets its group's input scale
        using var expected = F.linear(x, dequantized);
        foreach (bool wide in new[] { false, true })
        {
            using var y = full(batch, outDim, float.NaN);
            fixed (byte* wp = q.bytes, sp = scales.bytes, xp = x.bytes, yp = y.bytes)
            {
                int split = Math.Min(5, outDim);
                Int8Kernels.Product((sbyte*)wp, (float*)sp, inDim, (float*)xp, batch, (float*)yp, outDim, 0, split, wide);
                Int8Kernels.Product((sbyte*)wp, (float*)sp, inDim, (float*)xp, batch, (float*)yp, outDim, split, outDim, wide);
            }
            PackedLinearTests.AssertRelativeClose(expected, y, 1e-4);
        }
    }

    [Fact]
    public void InputsMoveByAtMostHalfTheirGroupStep()
    {
        manual_seed(2);
        using var x = randn(96) * 3;
        x[40] = 0f;
        var xs = x.data<float>().ToArray();
        xs.AsSpan(64).Clear(); // an all-zero group
        var q = new short[96];
        var t = new float[3];
        fixed (float* xp = xs, tp = t)
        fixed (short* qp = q)
            Int8Kernels.Quantize(xp, 96, qp, tp);
        Assert.Equal(0f, t[2]);
        for (int i = 0; i < 96; i++)
        {
            float max = xs.Skip(i / 32 * 32).Take(32).Max(Math.Abs);
            Assert.InRange(Math.Abs(xs[i] - t[i / 32] * q[i]), 0, max / 65534 * 1.001 + 1e-12);
        }
        Assert.Equal(32767, q.Take(32).Max(v => Math.Abs((int)v)));
    }
    [Fact]
    public void InputsRoundHalfwayCasesToEvenAsMathFRoundDoes()
    {
        // max 32767 makes the group's step exactly 1, so these inputs sit halfway between two integers.
        var xs = new float[64];
        float[] ties = [0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 32766.5f, -100.5f];
        ties.CopyTo(xs, 0);
        xs[31] = 32767f;
        for (int i = 32; i < 64; i++) xs[i] = MathF.Sin(i) * 7.3f; // an ordinary group
        var q = new short[64];
        var t = new float[2];
        fixed (float* xp = xs, tp = t)
        fixed (short* qp = q)
            Int8Kernels.Quantize(xp, 64, qp, tp);
        for (int g = 0; g < 2; g++)
        {
            float max = xs.Skip(g * 32).Take(32).Max(MathF.Abs);
            Assert.Equal(max / 32767f, t[g]);
            for (int i = g * 32; i < g * 32 + 32; i++) Assert.Equal((short)MathF.Round(xs[i] * (32767f / max)), q[i]);
        }
        Assert.Equal([0, 2, 2, 0, -2, -2, 32766, -100], q.Take(8).Select(v => (int)v));
    }
}
