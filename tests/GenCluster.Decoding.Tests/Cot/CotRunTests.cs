using GenCluster.Decoding.Cot;
using GenCluster.Models;
using GenCluster.Sampling;
using GenCluster.TestSupport;

namespace GenCluster.Decoding.Tests.Cot;

/// <summary>CoT decoding one step at a time: events per branch, and a run rebuilt mid-way from its events ends like an uninterrupted one.</summary>
public class CotRunTests
{
    static readonly CotRequest Request = new()
    {
        Prompt = [1, 17, 80, 33, 9], Branches = 4, AnswerPattern = "(\\w)", Sampling = new SamplingParams { MaxNewTokens = 12 }, EosTokenIds = [2],
    };

    sealed class IdText : ITextStream
    {
        public string Push(long tokenId) => $" t{tokenId}";
        public string Flush() => "";
    }

    [Fact]
    public void TheFirstStepEmitsEveryBranchsFirstTokenWithItsTopTwoLogprobs()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var run = new CotRun(loaded.Model, Request, () => new IdText());
        var first = run.Step();

        Assert.Equal([0, 1, 2, 3], first.Select(e => e.Sequence));
        Assert.All(first, e => Assert.Equal(0, e.Index));
        Assert.All(first, e => Assert.Equal(2, e.TopLogprobs.Count));
        Assert.Equal(first.Select(e => e.TokenId), first[0].TopLogprobs.Select(t => t.TokenId).Concat(first.Skip(2).Select(e => e.TokenId)));
        Assert.Equal(first.Select(e => e.Logprob).OrderDescending(), first.Select(e => e.Logprob));
    }

    [Fact]
    public void ARunRebuiltFromItsTokensAndMarginsEndsWithTheSameResult()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var whole = new CotRun(loaded.Model, Request, () => new IdText());
        var events = new List<GenerationEvent>();
        while (!whole.IsFinished) events.AddRange(whole.Step());
        var expected = whole.Result(aggregate: true);

        var before = events.Where(e => e.Index < 5).ToList();
        var tokens = Enumerable.Range(0, 4).Select(i => (IReadOnlyList<long>)before.Where(e => e.Sequence == i).Select(e => e.TokenId).ToList()).ToArray();
        var margins = Enumerable.Range(0, 4).Select(i => (IReadOnlyList<double>)before.Where(e => e.Sequence == i)
            .Select(e => CotDecoder.Margin(e.TopLogprobs.Select(t => (double)t.Logprob).ToArray())).ToList()).ToArray();
        using var resumed = new CotRun(loaded.Model, Request, () => new IdText(), tokens, margins);
        var after = new List<GenerationEvent>();
        while (!resumed.IsFinished) after.AddRange(resumed.Step());
        var result = resumed.Result(aggregate: true);

        Assert.Equal(events.Where(e => e.Index >= 5).Select(e => (e.Sequence, e.Index, e.TokenId)), after.Select(e => (e.Sequence, e.Index, e.TokenId)));
        // Margins after the rebuild come from one prefill instead of step-by-step passes: equal to float32 precision.
        Assert.Equal(expected.Branches.Select(b => (b.Rank, b.Answer)), result.Branches.Select(b => (b.Rank, b.Answer)));
        Assert.All(expected.Branches.Zip(result.Branches), p => Assert.Equal(p.First.Confidence, p.Second.Confidence, 1e-4));
        Assert.Equal(expected.Answer, result.Answer);
    }
}
