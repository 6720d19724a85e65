using GenCluster.Models;
using GenCluster.TestSupport;
using GenCluster.Training.Evaluation;

namespace GenCluster.Training.Tests.Evaluation;

public class DraftAcceptanceTests
{
    // One intra-op thread: the fixture models are tiny, and extra threads only wait on each other on a busy machine.
    public DraftAcceptanceTests() => TorchSharp.torch.set_num_threads(1);

    static (long[] Prompt, long[] Generated)[] GreedyCases()
    {
        using var golden = Fixtures.Golden("greedy.json");
        return golden.RootElement.GetProperty("models").GetProperty("llama-tiny").GetProperty("cases").EnumerateArray().Take(2)
            .Select(c => (Fixtures.ReadLongs(c.GetProperty("prompt")), Fixtures.ReadLongs(c.GetProperty("generated")))).ToArray();
    }

    [Fact]
    public void OutputIsTheTargetsGreedyTextAndTheRateIsAFraction()
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var draft = ModelLoader.Load(Fixtures.Model("llama-tiny-draft"));
        var cases = GreedyCases();
        var result = DraftAcceptance.Measure(target.Model, draft.Model, cases.Select(c => c.Prompt), newTokens: 8, k: 4);
        for (var i = 0; i < cases.Length; i++) Assert.Equal(cases[i].Generated.Take(8), result.Outputs[i]);
        Assert.Equal(2 * 8, result.Generated);
        Assert.InRange(result.Rate, 0.0, 1.0);
    }

    [Fact]
    public void ADraftEqualToTheTargetIsAlwaysAccepted()
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var result = DraftAcceptance.Measure(target.Model, target.Model, [GreedyCases()[0].Prompt], newTokens: 10, k: 4);
        Assert.Equal(1.0, result.Rate);
        Assert.Equal(2, result.Rounds);
    }
}
