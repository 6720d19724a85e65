using GenCluster.Decoding.Speculative;
using GenCluster.Models;
using GenCluster.Models.Runtime;
using GenCluster.Sampling;
using GenCluster.Sampling.Samplers;
using GenCluster.TestSupport;

namespace GenCluster.Decoding.Tests.Speculative;

/// <summary>
/// Speculative sampling emits tokens distributed as the target's processed distribution: checked by chi-square on the
/// acceptance rule with the real draft/target distributions of llama-tiny, and end to end on the decoder's first two tokens.
/// </summary>
public class SpeculativeSamplingDistributionTests
{
    static readonly long[] Prompt = [1, 45, 300, 12];

    static double[] Processed(LoadedModel model, SamplingParams p, long[] context)
    {
        using var cache = model.Model.CreateCache(1);
        using var r = model.Model.Forward(ForwardRequest.Single(context), cache);
        var scorer = new PositionScorer(LogitsPipeline.Build(p, Prompt.Length, []));
        return CategoricalDraw.Probabilities(scorer.Process(context, [], r.Logits[0, 0]));
    }

    static Dictionary<long, double> Support(double[] p) =>
        Enumerable.Range(0, p.Length).Where(i => p[i] > 0).ToDictionary(i => (long)i, i => p[i]);

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(0.7, 1.0)]
    [InlineData(1.3, 0.9)]
    [InlineData(0.8, 0.95)]
    public void AcceptanceRuleReproducesTheTargetDistribution(double temperature, double topP)
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var draft = ModelLoader.Load(Fixtures.Model("llama-tiny-draft"));
        var sp = new SamplingParams { DoSample = true, Temperature = temperature, TopP = topP };
        var p = Processed(target, sp, Prompt);
        var q = Processed(draft, sp, Prompt);
        const int draws = 20000;
        var counts = new Dictionary<long, int>();
        int accepted = 0;
        for (ulong seed = 0; seed < draws; seed++)
        {
            long x = CategoricalDraw.Pick(q, SeededUniform.Next(seed, 0, SpeculativeStreams.Draft));
            // Two target rows: the second (bonus) is only used when the proposal is accepted.
            var verdict = SpeculativeAcceptance.Sample([x], [q], [p, p], seed, 0);
            long first = verdict.Accepted == 1 ? x : verdict.Next;
            accepted += verdict.Accepted;
            counts[first] = counts.GetValueOrDefault(first) + 1;
        }
        ChiSquare.AssertFits(counts, Support(p), draws, $"T={temperature} top_p={topP}");
        // Sanity: the draft differs from the target, so some proposals are rejected.
        Assert.InRange(accepted, 1, draws - 1);
    }

    [Fact]
    public void OneHotProposalsOfPromptLookupKeepTheTargetDistribution()
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var p = Processed(target, new SamplingParams { DoSample = true, Temperature = 0.9 }, Prompt);
        long proposal = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).Skip(1).First(); // a plausible, not top, token
        const int draws = 20000;
        var counts = new Dictionary<long, int>();
        for (ulong seed = 0; seed < draws; seed++)
        {
            var verdict = SpeculativeAcceptance.Sample([proposal], [null], [p, p], seed, 0);
            long first = verdict.Accepted == 1 ? proposal : verdict.Next;
            counts[first] = counts.GetValueOrDefault(first) + 1;
        }
        ChiSquare.AssertFits(counts, Support(p), draws, "one-hot proposal");
    }

    [Fact]
    public void DecoderFirstTwoTokensFollowTheTargetJointDistribution()
    {
        const double temperature = 0.9, topP = 0.9;
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var draft = ModelLoader.Load(Fixtures.Model("llama-tiny-draft"));
        var sp = new SamplingParams { DoSample = true, Temperature = temperature, TopP = topP, MaxNewTokens = 2 };
        const int runs = 2000;
        var firsts = new Dictionary<long, int>();
        var pairs = new Dictionary<long, int>();
        for (ulong seed = 0; seed < runs; seed++)
        {
            using var decoder = SpeculativeDecoder.WithDraft(target, draft, new GenerationRequest { Prompts = [Prompt], Sampling = sp with { Seed = seed } }, 2);
            SpeculativeDecoderTests.RunAll(decoder);
            var g = decoder.Generated(0);
            firsts[g[0]] = firsts.GetValueOrDefault(g[0]) + 1;
            pairs[g[0] * 512 + g[1]] = pairs.GetValueOrDefault(g[0] * 512 + g[1]) + 1;
        }
        var p1 = Processed(target, sp, Prompt);
        ChiSquare.AssertFits(firsts, Support(p1), runs, "first token");
        // Joint p(a) p(b | a) over the first tokens seen (the rest has too little mass to matter; it is pooled).
        var joint = new Dictionary<long, double>();
        for (int a = 0; a < p1.Length; a++)
        {
            if (p1[a] == 0) continue;
            if (p1[a] * runs < 5) { joint[a * 512 + 511] = joint.GetValueOrDefault(a * 512 + 511) + p1[a]; continue; }
            var p2 = Processed(target, sp, [.. Prompt, a]);
            for (int b = 0; b < p2.Length; b++)
                if (p2[b] > 0) joint[a * 512 + b] = p1[a] * p2[b];
        }
        // Rare first tokens were lumped into one key per token; move their observed pairs there too.
        var observed = pairs.GroupBy(kv => p1[kv.Key / 512] * runs < 5 ? kv.Key / 512 * 512 + 511 : kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));
        ChiSquare.AssertFits(observed, joint, runs, "first two tokens");
    }
}
