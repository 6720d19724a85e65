using GenCluster.Models.Kernels;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GenCluster.Models.Tests.Kernels;

/// <summary>The 512-bit multi-row kernels (every input count, odd chunks, input tails) and grouped products against torch.</summary>
public unsafe class PairKernelsTests
{
    public static TheoryData<int> InputCounts => [1, 2, 3, 4, 5, 6, 7, 8];

    [Theory]
    [MemberData(nameof(InputCounts))]
    public void EveryInputCountEqualsTorchLinear(int batch)
    {
        if (!PairKernels.Supported) return; // the 256-bit kernels serve this CPU; PackedLinearTests cover them
        manual_seed(batch);
        // 100 inputs: six 16-wide steps and a scalar tail of 4; 37 outputs split at 5 give odd chunks on both sides.
        foreach (var (outDim, inDim) in new[] { (37, 100), (12, 256), (9, 40) })
        {
            using var w = randn(outDim, inDim);
            using var wb = w.to(ScalarType.BFloat16);
            using var x = randn(batch, inDim);
            using var expected = F.linear(x, w);
            using var expectedBf16 = F.linear(x, wb.to(ScalarType.Float32));
            using var y = full(batch, outDim, float.NaN);
            using var yb = full(batch, outDim, float.NaN);
            fixed (byte* wp = w.bytes, wbp = wb.bytes, xp = x.bytes, yp = y.bytes, ybp = yb.bytes)
                foreach (var (start, end) in new[] { (0, 5), (5, outDim) })
                {
                    PairKernels.Product<Float32Lanes>(wp, inDim, (float*)xp, batch, (float*)yp, outDim, start, end);
                    PairKernels.Product<BFloat16Lanes>(wbp, inDim, (float*)xp, batch, (float*)ybp, outDim, start, end);
                }
            PackedLinearTests.AssertRelativeClose(expected, y, 1e-5);
            PackedLinearTests.AssertRelativeClose(expectedBf16, yb, 1e-5);
        }
    }

    [Theory]
    [InlineData(9, "float32")]   // two groups, 5 + 4
    [InlineData(20, "float32")]
    [InlineData(64, "float32")]  // the fused pass's largest
    [InlineData(17, "bfloat16")]
    public void ProductsOfMoreRowsThanOneKernelBatchEqualTorchLinear(int rows, string format)
    {
        manual_seed(rows);
        var weightFormat = format == "bfloat16" ? WeightFormat.BFloat16 : WeightFormat.Float32;
        var w = randn(200, 96);
        using var b = randn(200);
        using var x = randn(rows, 96);
        using var expected = F.linear(x, weightFormat == WeightFormat.BFloat16 ? w.to(ScalarType.BFloat16).to(ScalarType.Float32) : w, b);
        using var packed = new PackedLinear(w, b.clone(), weightFormat, useKernels: true);
        using var y = full(rows, 200, float.NaN);
        fixed (byte* xp = x.bytes, yp = y.bytes) packed.Multiply((float*)xp, rows, (float*)yp);
        PackedLinearTests.AssertRelativeClose(expected, y, 1e-5);
    }

    [Theory]
    [InlineData("float32")]
    [InlineData("bfloat16")]
    public void ARowGivesTheSameBitsAloneAndInAnyBatch(string format)
    {
        if (!PairKernels.Supported) return; // batch invariance is a property of the 512-bit pair kernels
        manual_seed(11);
        // 301 outputs: chunks of 18 rows and a last one of 13 (an odd row left over); 200 inputs: a scalar tail of 8.
        var weightFormat = format == "bfloat16" ? WeightFormat.BFloat16 : WeightFormat.Float32;
        using var b = randn(301);
        using var packed = new PackedLinear(randn(301, 200), b.clone(), weightFormat, useKernels: true, batchInvariant: true);
        using var x = randn(64, 200);
        var alone = new float[64 * 301];
        fixed (byte* xp = x.bytes)
        fixed (float* ap = alone)
            for (int r = 0; r < 64; r++) packed.Multiply((float*)xp + r * 200, 1, ap + r * 301);
        foreach (var rows in new[] { 2, 5, 8, 9, 17, 64 })
        {
            var batched = new float[rows * 301];
            fixed (byte* xp = x.bytes)
            fixed (float* bp = batched)
                packed.Multiply((float*)xp, rows, bp);
            Assert.Equal(alone.AsSpan(0, rows * 301).ToArray(), batched);
        }
    }
}
