namespace GenCluster.Sampling.Tests;

public class SamplingMethodsTests
{
    [Fact]
    public void GreedyTurnsSamplingOffAndKeepsPenalties()
    {
        var p = SamplingMethods.Apply("greedy", new SamplingParams { DoSample = true, RepetitionPenalty = 1.2 });
        Assert.False(p.DoSample);
        Assert.Equal(1.2, p.RepetitionPenalty);
    }

    [Fact]
    public void UnconstrainedSamplesWithoutAddingAFilter()
    {
        var p = SamplingMethods.Apply("unconstrained", new SamplingParams { Temperature = 0.8 });
        Assert.Equal(new SamplingParams { DoSample = true, Temperature = 0.8 }, p);
    }

    [Theory]
    [InlineData("top_k")]
    [InlineData("top-k")]
    public void TopKUsesTheGivenKOrTheTransformersDefault(string method)
    {
        Assert.Equal(50, SamplingMethods.Apply(method, new SamplingParams()).TopK);
        Assert.Equal(7, SamplingMethods.Apply(method, new SamplingParams { TopK = 7 }).TopK);
    }

    [Fact]
    public void FilterMethodsSetTheirDefaultWhenTheirFlagIsAbsent()
    {
        Assert.Equal(SamplingMethods.DefaultTopP, SamplingMethods.Apply("top_p", new SamplingParams()).TopP);
        Assert.Equal(SamplingMethods.DefaultMinP, SamplingMethods.Apply("min_p", new SamplingParams()).MinP);
        Assert.Equal(SamplingMethods.DefaultTypicalP, SamplingMethods.Apply("typical", new SamplingParams()).TypicalP);
        Assert.Equal(SamplingMethods.DefaultCutoff, SamplingMethods.Apply("epsilon", new SamplingParams()).EpsilonCutoff);
        Assert.Equal(SamplingMethods.DefaultCutoff, SamplingMethods.Apply("eta", new SamplingParams()).EtaCutoff);
    }

    [Fact]
    public void EpsilonFlagIsTheCutoffOfWhicheverOfEpsilonAndEtaIsChosen()
    {
        var eta = SamplingMethods.Apply("eta", new SamplingParams(), epsilon: 2e-3);
        Assert.Equal((0.0, 2e-3), (eta.EpsilonCutoff, eta.EtaCutoff));
        var eps = SamplingMethods.Apply("epsilon", new SamplingParams(), epsilon: 2e-3);
        Assert.Equal((2e-3, 0.0), (eps.EpsilonCutoff, eps.EtaCutoff));
    }

    [Fact]
    public void MethodCombinesWithOtherFlags()
    {
        var p = SamplingMethods.Apply("top_p", new SamplingParams { TopP = 0.8, TopK = 40, Temperature = 0.7, PresencePenalty = 0.5 });
        Assert.Equal((true, 0.8, 40, 0.7, 0.5), (p.DoSample, p.TopP, p.TopK, p.Temperature, p.PresencePenalty));
    }

    [Fact]
    public void UnknownMethodListsTheMethods()
    {
        var e = Assert.Throws<SamplingParamsException>(() => SamplingMethods.Apply("beam", new SamplingParams()));
        Assert.Contains("unconstrained, greedy, top_k, top_p, min_p, typical, epsilon, eta", e.Message);
    }

    [Fact]
    public void InvalidCutoffIsRejected() =>
        Assert.Throws<SamplingParamsException>(() => SamplingMethods.Apply("epsilon", new SamplingParams(), epsilon: 1.5));
}
