using GenCluster.Sampling.Processors;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Tests.Processors;

public class LogitBiasTests
{
    [Fact]
    public void AddsTheBiasOfEachListedTokenInEveryRow()
    {
        using var ids = zeros(2, 1, dtype: int64);
        using var scores = tensor(new float[,] { { 1, 2, 3, 4 }, { 0, 0, 0, 0 } });
        using var processed = new LogitBias(new Dictionary<long, double> { [0] = -100, [3] = 1.5 }).Process(ids, scores);
        Assert.Equal(new[] { -99f, 2f, 3f, 5.5f }, processed[0].data<float>().ToArray());
        Assert.Equal(new[] { -100f, 0f, 0f, 1.5f }, processed[1].data<float>().ToArray());
    }

    [Fact]
    public void StrongPositiveBiasMakesGreedyPickTheToken()
    {
        var p = new SamplingParams { LogitBias = new Dictionary<long, double> { [2] = 100 } };
        using var ids = zeros(1, 1, dtype: int64);
        using var scores = tensor(new float[] { 9, 8, -5, 7 }).unsqueeze(0);
        using var processed = LogitsPipeline.Build(p, 1, []).Process(ids, scores);
        Assert.Equal(2L, processed.argmax(-1).item<long>());
    }

    [Fact]
    public void TokenOutsideTheVocabularyIsReported()
    {
        using var ids = zeros(1, 1, dtype: int64);
        using var scores = zeros(1, 4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new LogitBias(new Dictionary<long, double> { [9] = 1 }).Process(ids, scores));
        Assert.Contains("outside the vocabulary of 4: 9", e.Message);
    }
}
