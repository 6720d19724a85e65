using GenCluster.Decoding.Cot;
using GenCluster.Models;
using GenCluster.Models.Runtime;
using GenCluster.Sampling;
using GenCluster.TestSupport;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Tests.Cot;

/// <summary>CoT decoding on llama-tiny with a synthetic detokenizer: ids divisible by 4 are digits, the others words.</summary>
public class CotDecoderTests
{
    static readonly long[] Prompt = [1, 17, 80, 33, 9];

    /// <summary>Token t is the digit (t/4) mod 10 when t mod 4 = 0, else the word " w".</summary>
    sealed class DigitText : ITextStream
    {
        public string Push(long tokenId) => IsDigit(tokenId) ? ((tokenId / 4) % 10).ToString() : " w";
        public string Flush() => "";
    }

    static bool IsDigit(long t) => t % 4 == 0;

    static CotResult Run(LoadedModel loaded, int branches, bool aggregate = false) =>
        new CotDecoder(loaded.Model, () => new DigitText()).Run(new CotRequest
        {
            Prompt = Prompt, Branches = branches, Sampling = new SamplingParams { MaxNewTokens = 16 }, EosTokenIds = [2],
        }, aggregate);

    /// <summary>Softmax rows [positions, vocab] of one full forward over the prompt and the branch's tokens.</summary>
    static float[][] Probabilities(LoadedModel loaded, long[] tokens)
    {
        using var scope = NewDisposeScope();
        var ids = Prompt.Concat(tokens).ToArray();
        using var cache = loaded.Model.CreateCache(1, ids.Length);
        using var result = loaded.Model.Forward(ForwardRequest.Single(ids, OutputPositions.All), cache);
        var probs = result.Logits.select(0, 0).softmax(-1);
        return Enumerable.Range(0, ids.Length).Select(i => probs[i].data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void BranchesStartWithTheTopKFirstTokensAndContinueGreedily()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var result = Run(loaded, 6);
        Assert.Equal(6, result.Branches.Count);
        Assert.Equal(result.Branches.Max(b => b.Tokens.Length), result.ForwardPasses); // the prompt pass, then one batched pass per token
        var first = Probabilities(loaded, [])[Prompt.Length - 1];
        var expected = first.Select((p, i) => (p, i: (long)i)).OrderByDescending(x => x.p).Take(6).Select(x => x.i);
        Assert.Equal(expected, result.Branches.OrderBy(b => b.Rank).Select(b => b.FirstToken));
        foreach (var b in result.Branches)
        {
            var probs = Probabilities(loaded, b.Tokens);
            for (int i = 1; i < b.Tokens.Length; i++) // every later token is the argmax of its position
                Assert.Equal(Array.IndexOf(probs[Prompt.Length - 1 + i], probs[Prompt.Length - 1 + i].Max()), (int)b.Tokens[i]);
            Assert.True(b.Tokens.Length == 16 || b.Tokens[^1] == 2);
        }
    }

    [Fact]
    public void ConfidenceIsTheMeanTopTwoMarginOverTheLastNumbersTokens()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var result = Run(loaded, 10);
        Assert.Contains(result.Branches, b => b.Answer is not null);
        foreach (var b in result.Branches)
        {
            // The last maximal run of digit tokens is the last number of the text.
            int end = Array.FindLastIndex(b.Tokens, IsDigit);
            if (end < 0) { Assert.Null(b.Answer); Assert.Equal(0, b.Confidence); continue; }
            int start = end;
            while (start > 0 && IsDigit(b.Tokens[start - 1])) start--;
            Assert.Equal(string.Concat(b.Tokens[start..(end + 1)].Select(t => (t / 4) % 10)), b.Answer);
            var probs = Probabilities(loaded, b.Tokens);
            double expected = Enumerable.Range(start, end - start + 1).Average(i =>
            {
                var sorted = probs[Prompt.Length - 1 + i].OrderDescending().ToArray();
                return (double)sorted[0] - sorted[1];
            });
            Assert.Equal(expected, b.Confidence, 1e-5);
            Assert.Equal(b.Text, string.Concat(b.Tokens.Select(t => new DigitText().Push(t))));
        }
    }

    [Fact]
    public void BranchesRankByConfidenceAndAggregationSumsPerAnswer()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var single = Run(loaded, 10);
        Assert.Equal(single.Branches.OrderByDescending(b => b.Confidence).Select(b => b.Rank), single.Branches.Select(b => b.Rank));
        Assert.Equal(single.Branches.First(b => b.Answer is not null).Answer, single.Answer);
        var answers = single.Branches.Where(b => b.Answer is not null).Select(b => b.Answer).Distinct().Count();
        Assert.Equal(answers, single.Aggregated.Count);
        foreach (var a in single.Aggregated)
        {
            var reached = single.Branches.Where(b => b.Answer == a.Answer).ToList();
            Assert.Equal(reached.Count, a.Branches);
            Assert.Equal(reached.Sum(b => b.Confidence), a.Confidence, 1e-12);
        }
        Assert.Equal(single.Aggregated.OrderByDescending(a => a.Confidence).Select(a => a.Answer), single.Aggregated.Select(a => a.Answer));
        Assert.Equal(single.Aggregated[0].Answer, Run(loaded, 10, aggregate: true).Answer);
    }

    [Fact]
    public void InvalidBranchCountAndRegexAreRejected()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var decoder = new CotDecoder(loaded.Model, () => new DigitText());
        Assert.Contains("cot_branches", Assert.Throws<ArgumentException>(() => decoder.Run(new CotRequest { Prompt = Prompt, Branches = 0 })).Message);
        Assert.Contains("cot_answer_regex", Assert.Throws<ArgumentException>(() => decoder.Run(new CotRequest { Prompt = Prompt, AnswerPattern = "(" })).Message);
    }
}
