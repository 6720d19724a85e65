using GenCluster.Decoding.Speculative;
using GenCluster.Models;
using GenCluster.Sampling;
using GenCluster.TestSupport;

namespace GenCluster.Decoding.Tests.Speculative;

/// <summary>Speculative decoding with llama-tiny-draft against llama-tiny: exactness in greedy mode, rollback, stopping and stats.</summary>
public class SpeculativeDecoderTests
{
    internal static List<GenerationEvent> RunAll(IGenerationRun run)
    {
        var events = new List<GenerationEvent>();
        while (!run.IsFinished) events.AddRange(run.Step());
        return events;
    }

    internal static IEnumerable<(long[] Prompt, long Eos)> GreedyCases()
    {
        using var golden = Fixtures.Golden("greedy.json");
        return golden.RootElement.GetProperty("models").GetProperty("llama-tiny").GetProperty("cases").EnumerateArray()
            .Select(c => (Fixtures.ReadLongs(c.GetProperty("prompt")), c.GetProperty("eos_token_id").GetInt64())).ToList();
    }

    internal static IReadOnlyList<long> PlainGenerate(LoadedModel model, long[] prompt, SamplingParams p, long eos)
    {
        using var session = new GenerationSession(model.Model, new GenerationRequest { Prompts = [prompt], Sampling = p, EosTokenIds = [eos] });
        RunAll(session);
        return session.Generated(0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void GreedyWithDraftEqualsPlainGreedyTokenForToken(int lookahead)
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var draft = ModelLoader.Load(Fixtures.Model("llama-tiny-draft"));
        var p = new SamplingParams { MaxNewTokens = 40 };
        foreach (var (prompt, eos) in GreedyCases().Take(5))
        {
            var expected = PlainGenerate(target, prompt, p, eos);
            using var decoder = SpeculativeDecoder.WithDraft(target, draft, new GenerationRequest { Prompts = [prompt], Sampling = p, EosTokenIds = [eos] }, lookahead);
            var events = RunAll(decoder);
            Assert.Equal(expected, decoder.Generated(0));
            Assert.Equal(expected, events.Select(e => e.TokenId));
            Assert.Equal(Enumerable.Range(0, expected.Count), events.Select(e => e.Index));
            var stats = decoder.SpeculativeStats;
            Assert.True(stats.TargetForwardPasses <= expected.Count);
            Assert.Equal(stats.Rounds, stats.TargetForwardPasses);
            Assert.Equal(expected.Count, stats.Accepted + stats.Rounds);
        }
    }

    [Fact]
    public void GreedyWithPenaltiesEqualsPlainGreedy()
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var draft = ModelLoader.Load(Fixtures.Model("llama-tiny-draft"));
        var p = new SamplingParams { MaxNewTokens = 30, RepetitionPenalty = 1.3, NoRepeatNgramSize = 3 };
        foreach (var (prompt, eos) in GreedyCases().Take(3))
        {
            using var decoder = SpeculativeDecoder.WithDraft(target, draft, new GenerationRequest { Prompts = [prompt], Sampling = p, EosTokenIds = [eos] }, 4);
            RunAll(decoder);
            Assert.Equal(PlainGenerate(target, prompt, p, eos), decoder.Generated(0));
        }
    }

    [Fact]
    public void TheDraftAsItsOwnTargetAcceptsEveryProposal()
    {
        using var draft = ModelLoader.Load(Fixtures.Model("llama-tiny-draft"));
        var p = new SamplingParams { MaxNewTokens = 21 };
        using var decoder = SpeculativeDecoder.WithDraft(draft, draft, new GenerationRequest { Prompts = [[1, 5, 9]], Sampling = p }, 4);
        RunAll(decoder);
        var stats = decoder.SpeculativeStats;
        Assert.Equal(21, decoder.Generated(0).Count);
        Assert.Equal(1.0, stats.AcceptanceRate);
        Assert.Equal(5, stats.TargetForwardPasses); // 4 rounds of 4 + 1 tokens, then one of the last token
        Assert.Equal(FinishReason.Length, decoder.FinishOf(0));
    }

    [Fact]
    public void StopTokenIdsEndTheSequenceInsideAnAcceptedRun()
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var draft = ModelLoader.Load(Fixtures.Model("llama-tiny-draft"));
        var (prompt, eos) = GreedyCases().First();
        var plain = PlainGenerate(target, prompt, new SamplingParams { MaxNewTokens = 20 }, eos).ToList();
        var stopAt = plain[5];
        var p = new SamplingParams { MaxNewTokens = 20, StopTokenIds = [stopAt] };
        using var decoder = SpeculativeDecoder.WithDraft(target, draft, new GenerationRequest { Prompts = [prompt], Sampling = p, EosTokenIds = [eos] }, 4);
        var events = RunAll(decoder);
        Assert.Equal(plain.Take(plain.IndexOf(stopAt) + 1), decoder.Generated(0));
        Assert.Equal(FinishReason.Stop, events[^1].Finish);
    }

    [Fact]
    public void SampledRunsAreReproducibleFromTheSeed()
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var draft = ModelLoader.Load(Fixtures.Model("llama-tiny-draft"));
        IReadOnlyList<long> Run(ulong seed)
        {
            var p = new SamplingParams { DoSample = true, Temperature = 0.8, MaxNewTokens = 24, Seed = seed };
            using var decoder = SpeculativeDecoder.WithDraft(target, draft, new GenerationRequest { Prompts = [[1, 7, 3]], Sampling = p }, 3);
            RunAll(decoder);
            return decoder.Generated(0).ToArray();
        }
        Assert.Equal(Run(11), Run(11));
        Assert.NotEqual(Run(11), Run(12));
    }

    [Fact]
    public void ADecoderResumedAfterSomeRoundsContinuesWithTheUninterruptedTokens()
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var draft = ModelLoader.Load(Fixtures.Model("llama-tiny-draft"));
        var request = new GenerationRequest { Prompts = [[1, 7, 3]], Sampling = new SamplingParams { DoSample = true, Temperature = 0.8, MaxNewTokens = 30, MinNewTokens = 30, Seed = 5 } };
        using var whole = SpeculativeDecoder.WithDraft(target, draft, request, 3);
        var rounds = new List<IReadOnlyList<GenerationEvent>>();
        while (!whole.IsFinished) rounds.Add(whole.Step());

        var before = rounds.Take(3).SelectMany(r => r).Select(e => e.TokenId).ToArray();
        using var resumed = SpeculativeDecoder.WithDraft(target, draft, request, 3, resumeFrom: before);
        var after = RunAll(resumed);

        Assert.Equal(whole.Generated(0), resumed.Generated(0));
        Assert.Equal(Enumerable.Range(before.Length, 30 - before.Length), after.Select(e => e.Index));
    }
}
