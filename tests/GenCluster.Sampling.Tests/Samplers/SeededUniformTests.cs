using GenCluster.Sampling.Samplers;

namespace GenCluster.Sampling.Tests.Samplers;

public class SeededUniformTests
{
    [Fact]
    public void SameCountersGiveTheSameNumberAndDifferentCountersDiffer()
    {
        Assert.Equal(SeededUniform.Next(42, 7), SeededUniform.Next(42, 7));
        var variants = new[] { SeededUniform.Next(42, 7), SeededUniform.Next(43, 7), SeededUniform.Next(42, 8), SeededUniform.Next(42, 7, 1) };
        Assert.Equal(variants.Length, variants.Distinct().Count());
    }

    [Fact]
    public void ValuesLieInZeroOneWithUniformDecileCounts()
    {
        const int n = 100_000;
        var counts = new int[10];
        for (var step = 0; step < n; step++)
        {
            var u = SeededUniform.Next(1234, step);
            Assert.True(u >= 0 && u < 1, $"u = {u}");
            counts[(int)(u * 10)]++;
        }
        // chi-square, 9 degrees of freedom: 27.88 is the 0.999 quantile.
        var chi = counts.Sum(c => Math.Pow(c - n / 10.0, 2) / (n / 10.0));
        Assert.True(chi < 27.88, $"chi-square {chi:F2} over deciles {string.Join(",", counts)}");
    }

    [Fact]
    public void AdjacentSeedsAreUncorrelated()
    {
        const int n = 50_000;
        var xs = Enumerable.Range(0, n).Select(i => SeededUniform.Next((ulong)i, 0)).ToArray();
        var ys = Enumerable.Range(0, n).Select(i => SeededUniform.Next((ulong)i + 1, 0)).ToArray();
        double mx = xs.Average(), my = ys.Average();
        var cov = xs.Zip(ys, (x, y) => (x - mx) * (y - my)).Sum();
        var r = cov / Math.Sqrt(xs.Sum(x => (x - mx) * (x - mx)) * ys.Sum(y => (y - my) * (y - my)));
        Assert.True(Math.Abs(r) < 0.02, $"correlation {r}");
    }

    [Fact]
    public void DerivedSeedsDifferPerIndex()
    {
        var seeds = Enumerable.Range(0, 100).Select(i => SeededUniform.Derive(9, (ulong)i)).ToArray();
        Assert.Equal(100, seeds.Distinct().Count());
        Assert.Equal(seeds[3], SeededUniform.Derive(9, 3));
    }
}
