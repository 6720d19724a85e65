using GenCluster.Sampling.Samplers;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Tests;

public class LogitsChainTests
{
    static readonly SamplingParams Everything = new()
    {
        DoSample = true, Temperature = 0.8, TopK = 40, TopP = 0.95, MinP = 0.02, TypicalP = 0.95, EpsilonCutoff = 1e-4,
        EtaCutoff = 1e-4, RepetitionPenalty = 1.1, PresencePenalty = 0.3, FrequencyPenalty = 0.3, NoRepeatNgramSize = 2,
        MinNewTokens = 2, MinTokensToKeep = 2, LogitBias = new Dictionary<long, double> { [7] = 3 },
    };

    [Fact]
    public void DecodeStepsLeaveNoLiveTensorsBehind()
    {
        var chain = (LogitsChain)LogitsPipeline.Build(Everything, 4, [2]);
        Assert.Equal(12, chain.Stages.Count); // every processor
        using var ids = randint(3, 300, [3, 9]);
        using var logits = randn(3, 300);
        Step(); // first call may cache native state
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 5; i++) Step();
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        void Step()
        {
            // Each stage on its own, outside the chain's dispose scope, so that a stage that leaks shows up.
            foreach (var stage in chain.Stages)
            {
                using var alone = stage.Process(ids, logits);
            }
            using var processed = chain.Process(ids, logits);
            TokenSampler.Sample(logits, processed, [1UL, 2UL, 3UL], [0L, 0L, 0L], topLogprobs: 3);
        }
    }
}
