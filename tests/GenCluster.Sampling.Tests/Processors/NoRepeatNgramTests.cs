using GenCluster.Sampling.Processors;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Tests.Processors;

public class NoRepeatNgramTests
{
    [Fact]
    public void BansEveryTokenThatFollowedTheLastBigramBefore()
    {
        // ... 5 6 | 7 ... 5 6 | 8 ... 5 6  -> after "5 6" both 7 and 8 would repeat a trigram
        using var ids = tensor(new long[] { 5, 6, 7, 5, 6, 8, 5, 6 }).unsqueeze(0);
        using var scores = zeros(1, 10);
        using var processed = new NoRepeatNgram(3).Process(ids, scores);
        var banned = processed[0].data<float>().ToArray().Select((s, i) => (s, i)).Where(x => float.IsNegativeInfinity(x.s)).Select(x => x.i);
        Assert.Equal([7, 8], banned);
    }

    [Fact]
    public void InactiveWhileTheSequenceIsShorterThanTheNgramPrefix()
    {
        using var ids = tensor(new long[] { 4 }).unsqueeze(0);
        using var scores = zeros(1, 6);
        using var processed = new NoRepeatNgram(3).Process(ids, scores);
        Assert.DoesNotContain(processed[0].data<float>().ToArray(), float.IsNegativeInfinity);
    }

    [Fact]
    public void SizeOneBansEveryTokenAlreadyPresent()
    {
        using var ids = tensor(new long[,] { { 1, 3, 3 }, { 0, 0, 2 } });
        using var scores = zeros(2, 4);
        using var processed = new NoRepeatNgram(1).Process(ids, scores);
        Assert.Equal(new[] { 0f, float.NegativeInfinity, 0f, float.NegativeInfinity }, processed[0].data<float>().ToArray());
        Assert.Equal(new[] { float.NegativeInfinity, 0f, float.NegativeInfinity, 0f }, processed[1].data<float>().ToArray());
    }
}
