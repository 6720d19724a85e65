using GenCluster.Sampling.Processors;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Tests.Processors;

public class MinNewTokensTests
{
    [Fact]
    public void SuppressesEveryEosUntilEnoughTokensAreGeneratedThenReleasesThem()
    {
        var processor = new MinNewTokens(promptLength: 2, minNewTokens: 2, eosTokenIds: [2, 3, 99]); // 99 lies outside the vocabulary
        using var scores = ones(1, 5);
        using var oneGenerated = zeros(1, 3, dtype: int64);
        using var masked = processor.Process(oneGenerated, scores);
        Assert.Equal(new[] { 1f, 1f, float.NegativeInfinity, float.NegativeInfinity, 1f }, masked[0].data<float>().ToArray());
        using var twoGenerated = zeros(1, 4, dtype: int64);
        using var free = processor.Process(twoGenerated, scores);
        Assert.Equal(Enumerable.Repeat(1f, 5), free[0].data<float>().ToArray());
    }

    [Fact]
    public void PipelineLeavesItOutWithoutEosIds() =>
        Assert.Empty(((LogitsChain)LogitsPipeline.Build(new SamplingParams { MinNewTokens = 3 }, 2, [])).Stages);
}
