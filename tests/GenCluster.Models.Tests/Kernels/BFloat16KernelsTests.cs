using GenCluster.Models.Kernels;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GenCluster.Models.Tests.Kernels;

/// <summary>The bfloat16 product, 256- and 512-bit, against torch's linear on the rounded weights.</summary>
public unsafe class BFloat16KernelsTests
{
    [Theory]
    [InlineData(1, 37, 576)]  // four-row passes and a leftover row
    [InlineData(1, 8, 48)]    // 512-bit blocks of 32 leave a tail of 16
    [InlineData(1, 9, 72)]    // a tail of 8 for either width
    [InlineData(3, 10, 64)]
    [InlineData(8, 5, 1536)]
    public void ProductEqualsTorchLinearOnTheRoundedWeights(int batch, int outDim, int inDim)
    {
        manual_seed(batch * 100 + inDim);
        using var w = randn(outDim, inDim).to(ScalarType.BFloat16);
        using var x = randn(batch, inDim);
        using var expected = F.linear(x, w.to(ScalarType.Float32));
        foreach (bool wide in new[] { false, true })
        {
            using var y = full(batch, outDim, float.NaN);
            fixed (byte* wp = w.bytes, xp = x.bytes, yp = y.bytes)
            {
                // Two calls over [0, 5) and [5, out), as the worker pool's chunks split a layer.
                int split = Math.Min(5, outDim);
                BFloat16Kernels.Product((ushort*)wp, inDim, (float*)xp, batch, (float*)yp, outDim, 0, split, wide);
                BFloat16Kernels.Product((ushort*)wp, inDim, (float*)xp, batch, (float*)yp, outDim, split, outDim, wide);
            }
            PackedLinearTests.AssertRelativeClose(expected, y, 1e-5);
        }
    }
}
