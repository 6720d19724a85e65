using GenCluster.Sampling.Processors;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Tests.Processors;

public class PresenceFrequencyPenaltyTests
{
    // prompt 4 4 1 | generated 3 1 1: token 1 twice, token 3 once among generated; 4 only in the prompt.
    static readonly long[] Ids = [4, 4, 1, 3, 1, 1];

    [Fact]
    public void SubtractsPresenceOncePerGeneratedTokenAndFrequencyPerOccurrence()
    {
        using var ids = tensor(Ids).unsqueeze(0);
        using var scores = zeros(1, 6);
        using var processed = new PresenceFrequencyPenalty(0.5, 0.25, promptLength: 3).Process(ids, scores);
        // token 1: 0.5 + 2 * 0.25; token 3: 0.5 + 0.25; token 4 (prompt only) and the rest untouched.
        Assert.Equal(new[] { 0f, -1f, 0f, -0.75f, 0f, 0f }, processed[0].data<float>().ToArray());
    }

    [Fact]
    public void PromptTokensAreNotCounted()
    {
        using var ids = tensor(Ids).unsqueeze(0);
        using var scores = ones(1, 6);
        using var processed = new PresenceFrequencyPenalty(1, 1, promptLength: 6).Process(ids, scores);
        Assert.Equal(Enumerable.Repeat(1f, 6), processed[0].data<float>().ToArray());
    }

    [Fact]
    public void NegativePenaltiesEncourageRepetitionPerRow()
    {
        using var ids = tensor(new long[,] { { 0, 2, 2 }, { 0, 5, 1 } });
        using var scores = zeros(2, 6);
        using var processed = new PresenceFrequencyPenalty(-1, 0, promptLength: 1).Process(ids, scores);
        Assert.Equal(new[] { 0f, 0f, 1f, 0f, 0f, 0f }, processed[0].data<float>().ToArray());
        Assert.Equal(new[] { 0f, 1f, 0f, 0f, 0f, 1f }, processed[1].data<float>().ToArray());
    }

    [Fact]
    public void PipelinePlacesPenaltiesAfterRepetitionPenaltyAndBeforeTheNgramBan()
    {
        var p = new SamplingParams
        {
            DoSample = true, Temperature = 0.7, TopK = 5, RepetitionPenalty = 1.1, PresencePenalty = 0.3,
            NoRepeatNgramSize = 2, MinNewTokens = 2, LogitBias = new Dictionary<long, double> { [1] = 2 },
        };
        var chain = (LogitsChain)LogitsPipeline.Build(p, 2, [2]);
        Assert.Equal(
            ["LogitBias", "RepetitionPenalty", "PresenceFrequencyPenalty", "NoRepeatNgram", "MinNewTokens", "Temperature", "TopK"],
            chain.Stages.Select(s => s.GetType().Name));
    }
}
