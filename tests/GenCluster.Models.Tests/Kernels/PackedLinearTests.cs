using GenCluster.Models.Kernels;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GenCluster.Models.Tests.Kernels;

/// <summary>The SIMD decode kernels against torch's own linear.</summary>
public class PackedLinearTests
{
    internal static void AssertRelativeClose(Tensor expected, Tensor actual, double tolerance)
    {
        var e = expected.data<float>().ToArray();
        var a = actual.data<float>().ToArray();
        Assert.Equal(e.Length, a.Length);
        double scale = e.Max(v => Math.Abs(v)) + 1e-6;
        double worst = e.Zip(a, (x, y) => Math.Abs(x - y)).Max() / scale;
        Assert.True(worst <= tolerance, $"max relative difference {worst:E2} exceeds {tolerance:E0}");
    }

    [Theory]
    [InlineData(1, 576, 1536, true)]
    [InlineData(3, 64, 128, false)]
    [InlineData(8, 100, 37, true)]   // tails: input not a multiple of 8, odd outputs
    [InlineData(1, 100, 37, false)]  // one row: the 32-wide loop, the 8-wide loop and the scalar tail
    [InlineData(2, 64, 33, false)]   // multi-row blocks of four with absent rows
    [InlineData(6, 76, 40, true)]
    [InlineData(13, 64, 72, false)]  // more rows than a kernel batch: torch path
    public void Float32KernelEqualsTorchLinear(int rows, int inDim, int outDim, bool bias)
    {
        manual_seed(rows * 1000 + inDim);
        var w = randn(outDim, inDim);
        var b = bias ? randn(outDim) : null;
        var x = randn(rows, inDim);
        using var expected = F.linear(x, w, b);
        using var packed = new PackedLinear(w.clone(), b?.clone(), WeightFormat.Float32, useKernels: true);
        using var actual = packed.Forward(x);
        AssertRelativeClose(expected, actual, 1e-4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(20)]
    public void BFloat16KernelEqualsTorchOnTheRoundedWeights(int rows)
    {
        manual_seed(7);
        var w = randn(96, 64);
        var x = randn(rows, 64);
        using var expected = F.linear(x, w.to(ScalarType.BFloat16).to(ScalarType.Float32));
        using var packed = new PackedLinear(w.clone(), null, WeightFormat.BFloat16, useKernels: true);
        Assert.Equal(WeightFormat.BFloat16, packed.Format);
        using var actual = packed.Forward(x);
        AssertRelativeClose(expected, actual, 1e-4);
        using var slow = new PackedLinear(w.clone(), null, WeightFormat.BFloat16, useKernels: false).Forward(x);
        AssertRelativeClose(expected, slow, 1e-4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(11)]
    public void Int8KernelEqualsItsDequantizedWeightsAndRespectsTheErrorBound(int rows)
    {
        manual_seed(11);
        var w = randn(80, 128) * 0.05f;
        var x = randn(rows, 128);
        using var packed = new PackedLinear(w.clone(), null, WeightFormat.Int8, useKernels: true);
        using var dequantized = packed.Dequantized();
        // Every weight within max|w_group| / 254 of the original.
        var groupMax = w.view(80, 4, 32).abs().amax(new long[] { -1 }, keepdim: true).expand(80, 4, 32).reshape(80, 128);
        Assert.True((dequantized - w).abs().le(groupMax / 254 + 1e-7f).all().item<bool>());
        using var expected = F.linear(x, dequantized);
        using var actual = packed.Forward(x);
        AssertRelativeClose(expected, actual, 1e-4);
    }

    [Fact]
    public void WidthsTheCompactFormatsCannotPackStayFloat32()
    {
        using var packed = new PackedLinear(randn(10, 36), null, WeightFormat.Int8, useKernels: true);
        Assert.Equal(WeightFormat.Float32, packed.Format);
    }

    [Fact]
    public void EmbeddingRowsComeBackFromEveryFormat()
    {
        manual_seed(3);
        var w = randn(50, 64);
        var ids = tensor(new long[] { 3, 49, 0 });
        foreach (var format in new[] { WeightFormat.Float32, WeightFormat.BFloat16, WeightFormat.Int8 })
        {
            using var packed = new PackedLinear(w.clone(), null, format, useKernels: true);
            using var rows = packed.Rows(ids);
            using var reference = packed.Dequantized().index_select(0, ids);
            AssertRelativeClose(reference, rows, 1e-6);
        }
    }
}
