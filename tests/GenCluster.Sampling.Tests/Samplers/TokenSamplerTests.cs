using GenCluster.Sampling.Samplers;
using GenCluster.TestSupport;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Tests.Samplers;

public class TokenSamplerTests
{
    // Real next-token logits of llama-tiny (sampling.json prompt 2, vocab 512).
    static readonly Lazy<float[]> Logits = new(() =>
    {
        using var doc = Fixtures.Golden("sampling.json");
        return Fixtures.ReadFloats(doc.RootElement.GetProperty("prompts")[2].GetProperty("logits"));
    });

    public static TheoryData<string> Methods() => new(SamplingMethods.Names.Where(m => m != "greedy"));

    [Theory]
    [MemberData(nameof(Methods))]
    public void DrawsAcrossSeedsFollowTheProcessedDistribution(string method) =>
        AssertFollowsProcessedDistribution(method, Enumerable.Range(0, Draws).Select(i => (ulong)i + 1000).ToArray(), Enumerable.Repeat(3L, Draws).ToArray());

    [Theory]
    [MemberData(nameof(Methods))]
    public void DrawsAcrossStepsOfOneSeedFollowTheProcessedDistribution(string method) =>
        AssertFollowsProcessedDistribution(method, Enumerable.Repeat(77UL, Draws).ToArray(), Enumerable.Range(0, Draws).Select(i => (long)i).ToArray());

    const int Draws = 10_000;

    static void AssertFollowsProcessedDistribution(string method, ulong[] seeds, long[] steps)
    {
        var p = SamplingMethods.Apply(method, new SamplingParams { Temperature = 0.9 });
        using var logits = tensor(Logits.Value).unsqueeze(0);
        using var ids = tensor(new long[] { 1 }).unsqueeze(0);
        using var processed = LogitsPipeline.Build(p, 1, [2]).Process(ids, logits);
        var probs = CategoricalDraw.Probabilities(processed[0].data<float>().ToArray());
        using var raw = logits.expand(Draws, -1);
        using var batch = processed.expand(Draws, -1);
        var counts = new int[probs.Length];
        foreach (var choice in TokenSampler.Sample(raw, batch, seeds, steps)) counts[choice.TokenId]++;

        Assert.All(Enumerable.Range(0, probs.Length).Where(i => probs[i] == 0), i => Assert.Equal(0, counts[i]));
        var (chi, df) = ChiSquare(counts, probs, Draws);
        var critical = ChiSquareQuantile(df, 3.719); // p = 1e-4
        Assert.True(chi < critical, $"{method}: chi-square {chi:F1} >= {critical:F1} with {df} degrees of freedom");
    }

    /// <summary>Pearson's statistic, pooling the bins expected below 5 draws into one.</summary>
    static (double Chi, int Df) ChiSquare(int[] counts, double[] probs, int n)
    {
        double chi = 0, pooledExpected = 0, pooledObserved = 0;
        var bins = 0;
        for (var i = 0; i < probs.Length; i++)
        {
            if (probs[i] == 0) continue;
            var expected = probs[i] * n;
            if (expected < 5) { pooledExpected += expected; pooledObserved += counts[i]; continue; }
            chi += Math.Pow(counts[i] - expected, 2) / expected;
            bins++;
        }
        if (pooledExpected > 0) { chi += Math.Pow(pooledObserved - pooledExpected, 2) / pooledExpected; bins++; }
        return (chi, Math.Max(bins - 1, 1));
    }

    /// <summary>Wilson-Hilferty approximation of the chi-square quantile for the normal quantile z.</summary>
    static double ChiSquareQuantile(int df, double z) => df * Math.Pow(1 - 2.0 / (9 * df) + z * Math.Sqrt(2.0 / (9 * df)), 3);

    [Fact]
    public void SameSeedAndStepsGiveTheSameTokens()
    {
        var p = SamplingPresets.Creative;
        using var logits = tensor(Logits.Value).unsqueeze(0).expand(8, -1);
        using var ids = zeros(8, 1, dtype: int64);
        using var processed = LogitsPipeline.Build(p, 1, [2]).Process(ids, logits);
        ulong[] seeds = [5, 5, 5, 5, 6, 6, 6, 6];
        long[] steps = [0, 1, 2, 3, 0, 1, 2, 3];
        var first = TokenSampler.Sample(logits, processed, seeds, steps).Select(c => c.TokenId).ToArray();
        var second = TokenSampler.Sample(logits, processed, seeds, steps).Select(c => c.TokenId).ToArray();
        Assert.Equal(first, second);
        Assert.NotEqual(first[..4], first[4..]); // another seed gives another sequence of draws (these logits are far from one-hot)
    }

    [Fact]
    public void DrawDependsOnlyOnSeedAndStepNotOnBatchPosition()
    {
        using var logits = tensor(Logits.Value).unsqueeze(0);
        var together = TokenSampler.Sample(logits.expand(50, -1), logits.expand(50, -1), Enumerable.Repeat(11UL, 50).ToArray(), Enumerable.Range(0, 50).Select(i => (long)i).ToArray());
        for (var step = 0; step < 50; step += 7)
            Assert.Equal(together[step].TokenId, TokenSampler.Sample(logits, logits, [11UL], [(long)step])[0].TokenId);
    }

    [Fact]
    public void GreedyPicksTheArgmaxWithItsLogProbabilities()
    {
        using var raw = tensor(new float[,] { { 1, 3, 2, 0 }, { 5, 5, 1, 1 } });
        using var processed = raw.div(0.5);
        var choices = TokenSampler.Greedy(raw, processed, topLogprobs: 2);
        Assert.Equal([1L, 0L], choices.Select(c => c.TokenId)); // ties resolve to the first index
        using var rawLogp = raw.log_softmax(-1);
        using var processedLogp = processed.log_softmax(-1);
        Assert.Equal(rawLogp[0, 1].item<float>(), choices[0].Logprob, 1e-6f);
        Assert.Equal(processedLogp[0, 1].item<float>(), choices[0].Score, 1e-6f);
        Assert.Equal([1L, 2L], choices[0].TopLogprobs.Select(t => t.TokenId));
        Assert.Equal(rawLogp[0, 2].item<float>(), choices[0].TopLogprobs[1].Logprob, 1e-6f);
    }

    [Fact]
    public void GreedyOnCpuRowsInPlaceMatchesTheTorchPath()
    {
        var rng = new Random(4);
        var data = Enumerable.Range(0, 5 * 3000).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray();
        data[1 * 3000 + 17] = float.PositiveInfinity;
        Array.Fill(data, float.NegativeInfinity, 2 * 3000, 3000); // a row a constraint masked entirely ...
        data[2 * 3000 + 2999] = 1.5f; // ... but one token
        data[3 * 3000 + 40] = float.NaN;
        data[4 * 3000 + 7] = data[4 * 3000 + 9] = 50f; // a tie: the first index wins
        using var all = tensor(data, new long[] { 5, 3000 });
        using var raw = all.narrow(0, 1, 4); // a contiguous view of rows 1..4, read in place
        using var processed = raw * 2;
        // A non-contiguous copy of the same numbers takes the torch path.
        using var rawStrided = raw.t().contiguous().t();
        using var processedStrided = processed.t().contiguous().t();
        Assert.False(rawStrided.is_contiguous());
        foreach (var (a, b) in new[] { (raw, processed), (raw, raw) })
        {
            var fast = TokenSampler.Greedy(a, b, topLogprobs: 3);
            var slow = TokenSampler.Greedy(ReferenceEquals(a, raw) ? rawStrided : a, ReferenceEquals(b, raw) ? rawStrided : processedStrided, topLogprobs: 3);
            Assert.Equal(slow.Select(c => c.TokenId), fast.Select(c => c.TokenId));
            Assert.Equal(new long[] { 17, 2999, 40, 7 }, fast.Select(c => c.TokenId));
            for (int r = 0; r < fast.Length; r++)
            {
                AssertSame(slow[r].Logprob, fast[r].Logprob);
                AssertSame(slow[r].Score, fast[r].Score);
                Assert.Equal(slow[r].TopLogprobs.Select(t => t.TokenId), fast[r].TopLogprobs.Select(t => t.TokenId));
            }
        }

        static void AssertSame(float expected, float actual)
        {
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(actual), $"expected NaN, got {actual}");
            else if (float.IsInfinity(expected)) Assert.Equal(expected, actual);
            else Assert.Equal(expected, actual, 1e-5f);
        }
    }

    [Fact]
    public void SampleOnCpuRowsInPlaceMatchesTheTorchPath()
    {
        var p = new SamplingParams { DoSample = true, Temperature = 0.7, TopP = 0.9 };
        using var logits = tensor(Logits.Value).unsqueeze(0).expand(64, -1).contiguous();
        using var ids = zeros(64, 1, dtype: int64);
        using var processed = LogitsPipeline.Build(p, 1, [2]).Process(ids, logits);
        var seeds = Enumerable.Range(0, 64).Select(i => (ulong)i * 31).ToArray();
        var steps = Enumerable.Range(0, 64).Select(i => (long)i).ToArray();
        // Non-contiguous copies of the same numbers take the torch path.
        using var rawStrided = logits.t().contiguous().t();
        using var processedStrided = processed.t().contiguous().t();
        var fast = TokenSampler.Sample(logits, processed, seeds, steps, topLogprobs: 2);
        var slow = TokenSampler.Sample(rawStrided, processedStrided, seeds, steps, topLogprobs: 2);
        Assert.Equal(slow.Select(c => c.TokenId), fast.Select(c => c.TokenId));
        Assert.True(fast.Select(c => c.TokenId).Distinct().Count() > 3); // the draws really vary
        for (int r = 0; r < fast.Length; r++)
        {
            Assert.Equal(slow[r].Score, fast[r].Score, 1e-5f);
            Assert.Equal(slow[r].Logprob, fast[r].Logprob, 1e-5f);
            Assert.Equal(slow[r].TopLogprobs, fast[r].TopLogprobs);
        }
    }

    [Fact]
    public void ScoreIsTheProcessedAndLogprobTheRawLogProbability()
    {
        var p = new SamplingParams { DoSample = true, TopK = 3, Temperature = 0.5 };
        using var raw = tensor(Logits.Value).unsqueeze(0);
        using var ids = zeros(1, 1, dtype: int64);
        using var processed = LogitsPipeline.Build(p, 1, [2]).Process(ids, raw);
        var choice = TokenSampler.Choose(p, raw, processed, [3UL], [0L], topLogprobs: 5)[0];
        using var rawLogp = raw.log_softmax(-1);
        using var processedLogp = processed.log_softmax(-1);
        Assert.Equal(processedLogp[0, choice.TokenId].item<float>(), choice.Score, 1e-5f);
        Assert.Equal(rawLogp[0, choice.TokenId].item<float>(), choice.Logprob, 1e-5f);
        Assert.Equal(5, choice.TopLogprobs.Count);
        Assert.True(choice.TopLogprobs.Zip(choice.TopLogprobs.Skip(1), (a, b) => a.Logprob >= b.Logprob).All(x => x));
        Assert.Contains(choice.TokenId, choice.TopLogprobs.Take(3).Select(t => t.TokenId)); // top-3 raw = the kept set
    }

    [Fact]
    public void MismatchedSeedCountIsRejected()
    {
        using var raw = zeros(2, 4);
        Assert.Throws<ArgumentException>(() => TokenSampler.Sample(raw, raw, [1UL], [0L, 1L]));
    }
}
