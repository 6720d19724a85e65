using GenCluster.Sampling.Processors;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Tests.Processors;

public class TemperatureTests
{
    [Fact]
    public void DividesScoresAndKeepsMinusInfinity()
    {
        using var scores = tensor(new[] { 1f, -2f, float.NegativeInfinity }).unsqueeze(0);
        using var ids = zeros(1, 1, dtype: int64);
        using var processed = new Temperature(0.5).Process(ids, scores);
        Assert.Equal(new[] { 2f, -4f, float.NegativeInfinity }, processed[0].data<float>().ToArray());
    }

    [Fact]
    public void ZeroIsRejectedBecauseItMeansGreedy()
    {
        var e = Assert.Throws<SamplingParamsException>(() => new Temperature(0));
        Assert.Equal("temperature", e.Field);
    }
}
