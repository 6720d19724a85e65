using System.Text.Json;
using GenCluster.Decoding.Beam;
using GenCluster.Gateway.V1;
using GenCluster.Models;
using GenCluster.Sampling;
using GenCluster.TestSupport;
using Grpc.Core;

namespace GenCluster.Gateway.Tests;

/// <summary>The decoding strategies through the gRPC gateway: one stream per method, its summary carrying sequences, scores, answers and stats.</summary>
public sealed class GenerationServiceMethodTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    static readonly long[] Prompt = GenerationServiceTests.Prompt;

    static GenerateRequest Request(string method, int tokens, string model = "llama-tiny", DecodingParameters? decoding = null) => new()
    {
        Model = model, InputIds = new TokenIds { Ids = { Prompt } }, Method = method, Decoding = decoding ?? new DecodingParameters(),
        Sampling = new SamplingParameters { MaxNewTokens = tokens, MinNewTokens = tokens },
    };

    async Task<(List<TokenDelta> Tokens, SessionStatus Summary)> GenerateAsync(GenerateRequest request)
    {
        var events = await fixture.Client.GenerateAsync(request).ToListAsync();
        return (GenerationServiceTests.Tokens(events), events[^1].Summary);
    }

    static long[] Greedy(int tokens)
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var session = new Decoding.GenerationSession(loaded.Model, new Decoding.GenerationRequest
        {
            Prompts = [Prompt], Sampling = new SamplingParams { MaxNewTokens = tokens, MinNewTokens = tokens }, EosTokenIds = loaded.EosTokenIds,
        });
        while (!session.IsFinished) session.Step();
        return session.Generated(0).ToArray();
    }

    [Fact]
    public async Task BeamSearchEndsWithTheHypothesesBestFirstAndTheirScores()
    {
        var request = Request("beam", 10, decoding: new DecodingParameters { NumBeams = 3, NumReturnSequences = 2 });
        request.Sampling.ClearMinNewTokens();
        var (tokens, summary) = await GenerateAsync(request);

        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var search = new BeamSearch(loaded.Model, new BeamSearchRequest
        {
            Prompt = Prompt, NumBeams = 3, NumReturnSequences = 2, Sampling = new SamplingParams { MaxNewTokens = 10 }, EosTokenIds = loaded.EosTokenIds,
        });
        var expected = search.Run();
        Assert.Equal("finished", summary.Status);
        Assert.Equal(expected.Select(h => h.Tokens), summary.Sequences.Select(s => s.TokenIds.ToArray()));
        Assert.Equal(expected.Select(h => h.Score), summary.Sequences.Select(s => s.Score));
        Assert.Equal(expected.Sum(h => h.Tokens.Length), tokens.Count);
        Assert.Equal(search.ForwardPasses, summary.Stats.ForwardPasses);
        Assert.Equal(expected[0].Tokens, summary.Progress.BestTokenIds);
        Assert.Equal((search.Progress.Step, expected[0].Score, summary.Sequences[0].Text), (summary.Progress.Step, summary.Progress.BestScore, summary.Progress.BestText));
    }

    [Fact]
    public async Task CotDecodingStreamsTheBranchesAndSummarisesTheirAnswers()
    {
        var request = Request("cot", 8, "llama-text", new DecodingParameters { CotBranches = 3, CotAnswerRegex = "(\\w)" });
        var (tokens, summary) = await GenerateAsync(request);

        Assert.Equal(3, summary.Sequences.Count);
        Assert.Equal([0, 1, 2], tokens.Take(3).Select(t => t.Sequence));
        Assert.All(summary.Sequences, s => Assert.Equal(8, s.TokenIds.Count));
        Assert.Equal(summary.Sequences.Where(s => s.HasAnswer).OrderByDescending(s => s.Confidence).First().Answer, summary.Answer);
        Assert.Equal(8, summary.Stats.ForwardPasses); // the prompt's pass, then 7 batched steps
    }

    [Fact]
    public async Task JsonDecodingKeepsTheOutputInsideTheSchema()
    {
        var request = Request("json", 30, "llama-text", new DecodingParameters { JsonSchema = """{"enum": ["yes", "no", 12]}""" });
        request.Sampling = new SamplingParameters { MaxNewTokens = 30, Seed = 3, Temperature = 1.0 };
        var (_, summary) = await GenerateAsync(request);

        var output = summary.Sequences.Single();
        Assert.Equal("eos", output.FinishReason);
        // llama-tiny's EOS id 2 is no special token of the GPT-2 tokenizer: its text "#" ends the output.
        Assert.EndsWith("#", output.Text);
        Assert.Contains(JsonDocument.Parse(output.Text[..^1]).RootElement.ToString(), new[] { "yes", "no", "12" });
    }

    [Theory]
    [InlineData("speculative")]
    [InlineData("prompt_lookup")]
    [InlineData("medusa")]
    public async Task DraftAndVerifyMethodsKeepTheGreedyTokensAndReportTheirRounds(string method)
    {
        var (tokens, summary) = await GenerateAsync(Request(method, 20));

        Assert.Equal(Greedy(20), tokens.Select(t => t.TokenId).ToArray());
        Assert.Equal(Enumerable.Range(0, 20), tokens.Select(t => t.Index));
        Assert.True(summary.Stats.Rounds > 0);
        Assert.True(summary.Stats.ForwardPasses <= 21);
        if (method == "speculative") Assert.True(summary.Stats.DraftForwardPasses > 0);
    }

    [Theory]
    [InlineData("num_beams")]
    [InlineData("early_stopping")]
    [InlineData("lookahead")]
    public async Task BadStrategyParametersAreInvalidArgumentsNamingTheField(string field)
    {
        var request = field switch
        {
            "num_beams" => Request("beam", 4, decoding: new DecodingParameters { NumBeams = 0 }),
            "early_stopping" => Request("beam", 4, decoding: new DecodingParameters { EarlyStopping = "sometimes" }),
            _ => Request("speculative", 4, decoding: new DecodingParameters { Lookahead = 0 }),
        };
        var e = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GenerateAsync(request).ToListAsync().AsTask());

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(field, e.Trailers.GetValue("field"));
    }
}
