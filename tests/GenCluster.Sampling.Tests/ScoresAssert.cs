namespace GenCluster.Sampling.Tests;

/// <summary>Compares processed scores the way the fixtures README asks: same -inf entries, finite values within a tolerance.</summary>
static class ScoresAssert
{
    public static void Equal(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var infMismatch = Enumerable.Range(0, expected.Length)
            .Where(i => float.IsNegativeInfinity(expected[i]) != float.IsNegativeInfinity(actual[i])).ToArray();
        Assert.True(infMismatch.Length == 0,
            $"{what}: -inf differs at {infMismatch.Length} entries, e.g. index {infMismatch.FirstOrDefault()}: expected {expected[infMismatch.FirstOrDefault()]}, got {actual[infMismatch.FirstOrDefault()]}");
        var worst = Enumerable.Range(0, expected.Length).Where(i => float.IsFinite(expected[i]))
            .Select(i => (i, diff: Math.Abs((double)expected[i] - actual[i]))).DefaultIfEmpty().MaxBy(x => x.diff);
        Assert.True(worst.diff <= tolerance, $"{what}: index {worst.i} expected {expected[worst.i]}, got {actual[worst.i]} (diff {worst.diff:E2})");
    }
}
