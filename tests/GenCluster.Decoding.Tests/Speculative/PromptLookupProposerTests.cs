using GenCluster.Decoding.Speculative;
using GenCluster.Models;
using GenCluster.Sampling;
using GenCluster.TestSupport;

namespace GenCluster.Decoding.Tests.Speculative;

/// <summary>Prompt-lookup proposals and decoding without a draft model.</summary>
public class PromptLookupProposerTests
{
    [Fact]
    public void ProposesWhatFollowedTheLatestEarlierOccurrenceOfTheLastNgram()
    {
        var lookup = new PromptLookupProposer(3);
        // "7 8 9" occurs at 1 and 6; the latest earlier one (6) was followed by 4 4.
        long[] context = [5, 7, 8, 9, 1, 2, 7, 8, 9, 4, 4, 0, 7, 8, 9];
        Assert.Equal([4, 4, 0], lookup.Lookup(context, 3));
        Assert.Equal([4], lookup.Lookup(context, 1));
    }

    [Fact]
    public void FallsBackToShorterNgramsAndProposesNothingWithoutAMatch()
    {
        var lookup = new PromptLookupProposer(3);
        Assert.Equal([6, 1], lookup.Lookup([1, 2, 3, 6, 1, 9, 3], 2)); // only the 1-gram "3" matches
        Assert.Empty(lookup.Lookup([1, 2, 3, 4], 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PromptLookupProposer(0));
    }

    [Fact]
    public void GreedyPromptLookupEqualsPlainGreedyWithFewerTargetForwards()
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var p = new SamplingParams { MaxNewTokens = 60 };
        int forwards = 0, tokens = 0;
        foreach (var (prompt, eos) in SpeculativeDecoderTests.GreedyCases().Take(6))
        {
            var expected = SpeculativeDecoderTests.PlainGenerate(target, prompt, p, eos);
            using var decoder = SpeculativeDecoder.WithPromptLookup(target.Model, new GenerationRequest { Prompts = [prompt], Sampling = p, EosTokenIds = [eos] }, 5);
            SpeculativeDecoderTests.RunAll(decoder);
            Assert.Equal(expected, decoder.Generated(0));
            forwards += decoder.SpeculativeStats.TargetForwardPasses;
            tokens += expected.Count;
            Assert.Equal(0, decoder.SpeculativeStats.DraftForwardPasses);
        }
        // A random tiny model loops, so copying earlier text pays off.
        Assert.True(forwards < tokens, $"{forwards} target forwards for {tokens} tokens");
    }
}
