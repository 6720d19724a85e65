namespace GenCluster.Decoding.Tests.Speculative;

/// <summary>Pearson's chi-square goodness of fit, with categories of expected count below 5 pooled into one.</summary>
internal static class ChiSquare
{
    /// <summary>Asserts the observed counts fit the probabilities: statistic below df + 5 sqrt(2 df) (a p-value far below 1e-4).</summary>
    public static void AssertFits(IReadOnlyDictionary<long, int> observed, IReadOnlyDictionary<long, double> probabilities, int draws, string label)
    {
        double statistic = 0, pooledExpected = 0;
        int pooledObserved = 0, categories = 0;
        foreach (var (key, p) in probabilities)
        {
            double expected = p * draws;
            int seen = observed.GetValueOrDefault(key);
            if (expected < 5)
            {
                pooledExpected += expected;
                pooledObserved += seen;
                continue;
            }
            statistic += (seen - expected) * (seen - expected) / expected;
            categories++;
        }
        int outside = observed.Where(kv => !probabilities.ContainsKey(kv.Key)).Sum(kv => kv.Value);
        Assert.True(outside == 0, $"{label}: {outside} draws fell on tokens of probability 0");
        if (pooledExpected > 0)
        {
            statistic += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / Math.Max(pooledExpected, 1);
            categories++;
        }
        int df = Math.Max(1, categories - 1);
        double limit = df + 5 * Math.Sqrt(2.0 * df);
        Assert.True(statistic < limit, $"{label}: chi-square {statistic:F1} over {df} degrees of freedom exceeds {limit:F1}");
    }
}
