using GenCluster.Decoding.Medusa;
using GenCluster.Decoding.Tests.Speculative;
using GenCluster.Models;
using GenCluster.Models.Medusa;
using GenCluster.Sampling;
using GenCluster.TestSupport;

namespace GenCluster.Decoding.Tests.Medusa;

/// <summary>Medusa decoding with llama-tiny-medusa on llama-tiny: greedy exactness, tree shapes, typical acceptance.</summary>
public class MedusaDecoderTests
{
    static MedusaDecoder Decoder(LoadedModel target, MedusaHeads heads, long[] prompt, SamplingParams p, long eos, MedusaOptions? options = null) =>
        new(target.Model, heads, new GenerationRequest { Prompts = [prompt], Sampling = p, EosTokenIds = [eos] }, options);

    [Theory]
    [InlineData(null)]
    [InlineData("0;1;2;0,0;0,1;1,0;0,0,0;0,0,0,0")]
    [InlineData("0")]
    public void GreedyEqualsPlainGreedyTokenForToken(string? tree)
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var heads = MedusaHeads.Load(Fixtures.Model("llama-tiny-medusa"));
        var options = new MedusaOptions { Tree = tree is null ? null : MedusaTree.Parse(tree) };
        var p = new SamplingParams { MaxNewTokens = 40 };
        foreach (var (prompt, eos) in SpeculativeDecoderTests.GreedyCases().Take(5))
        {
            var expected = SpeculativeDecoderTests.PlainGenerate(target, prompt, p, eos);
            using var decoder = Decoder(target, heads, prompt, p, eos, options);
            var events = SpeculativeDecoderTests.RunAll(decoder);
            Assert.Equal(expected, decoder.Generated(0));
            Assert.Equal(expected, events.Select(e => e.TokenId));
            var stats = decoder.SpeculativeStats;
            Assert.Equal(expected.Count, stats.Accepted + stats.Rounds + (expected.Count > stats.Accepted + stats.Rounds ? 1 : 0));
            Assert.True(stats.TargetForwardPasses <= expected.Count + 1);
        }
    }

    [Fact]
    public void GreedyWithRepetitionPenaltyEqualsPlainGreedy()
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var heads = MedusaHeads.Load(Fixtures.Model("llama-tiny-medusa"));
        var p = new SamplingParams { MaxNewTokens = 30, RepetitionPenalty = 1.2 };
        foreach (var (prompt, eos) in SpeculativeDecoderTests.GreedyCases().Take(3))
        {
            using var decoder = Decoder(target, heads, prompt, p, eos);
            SpeculativeDecoderTests.RunAll(decoder);
            Assert.Equal(SpeculativeDecoderTests.PlainGenerate(target, prompt, p, eos), decoder.Generated(0));
        }
    }

    [Fact]
    public void TypicalAcceptanceIsReproducibleAndStopsAtTheTokenBudget()
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var heads = MedusaHeads.Load(Fixtures.Model("llama-tiny-medusa"));
        var options = new MedusaOptions { Acceptance = MedusaAcceptance.Typical };
        IReadOnlyList<long> Run(ulong seed)
        {
            var p = new SamplingParams { DoSample = true, Temperature = 0.7, MaxNewTokens = 25, Seed = seed };
            using var decoder = Decoder(target, heads, [1, 40, 41], p, -1, options);
            SpeculativeDecoderTests.RunAll(decoder);
            Assert.Equal(FinishReason.Length, decoder.FinishOf(0));
            return decoder.Generated(0).ToArray();
        }
        var a = Run(3);
        Assert.Equal(25, a.Count);
        Assert.Equal(a, Run(3));
        Assert.NotEqual(a, Run(4));
    }

    [Fact]
    public void ATreeDeeperThanTheHeadsIsRejected()
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var heads = MedusaHeads.Load(Fixtures.Model("llama-tiny-medusa"));
        var deep = MedusaTree.Parse("0;0,0;0,0,0;0,0,0,0;0,0,0,0,0");
        var e = Assert.Throws<ArgumentException>(() => Decoder(target, heads, [1, 2], new SamplingParams { MaxNewTokens = 10 }, 2, new MedusaOptions { Tree = deep }));
        Assert.Contains("only 4 heads", e.Message);
    }
}
