namespace GenCluster.Sampling.Tests;

public class SamplingPresetsTests
{
    [Fact]
    public void CreativePresetHasTheIssueValues()
    {
        var p = SamplingPresets.Get("creative");
        Assert.True(p.DoSample);
        Assert.Equal((1.2, 0.95, 100, 1.1), (p.Temperature, p.TopP, p.TopK, p.RepetitionPenalty));
    }

    [Fact]
    public void PreciseAndBalancedPresetsHaveTheIssueValues()
    {
        var precise = SamplingPresets.Get("Precise");
        Assert.Equal((0.3, 0.9, 20, 1.05), (precise.Temperature, precise.TopP, precise.TopK, precise.RepetitionPenalty));
        var balanced = SamplingPresets.Get("balanced");
        Assert.Equal((0.7, 0.9, 50, 1.0), (balanced.Temperature, balanced.TopP, balanced.TopK, balanced.RepetitionPenalty));
    }

    [Fact]
    public void DeterministicPresetIsGreedy() => Assert.True(SamplingPresets.Get("deterministic").IsGreedy);

    [Fact]
    public void EveryPresetIsValid()
    {
        foreach (var name in SamplingPresets.Names) SamplingPresets.Get(name).Validate();
    }

    [Fact]
    public void UnknownPresetNamesTheChoices()
    {
        var e = Assert.Throws<SamplingParamsException>(() => SamplingPresets.Get("wild"));
        Assert.Equal("preset must be one of creative, precise, balanced, deterministic, got \"wild\"", e.Message);
    }
}
