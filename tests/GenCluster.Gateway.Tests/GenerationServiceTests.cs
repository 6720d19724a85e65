using GenCluster.Decoding;
using GenCluster.Gateway.V1;
using GenCluster.Models;
using GenCluster.Sampling;
using GenCluster.TestSupport;
using Grpc.Core;

namespace GenCluster.Gateway.Tests;

public sealed class GenerationServiceTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    internal static readonly long[] Prompt = [1, 15, 42, 7, 99];

    static GenerateRequest Request(int tokens, string model = "llama-tiny", ulong seed = 5)
    {
        var request = new GenerateRequest
        {
            Model = model, InputIds = new TokenIds(), Method = "top_k",
            Sampling = new SamplingParameters { Seed = seed, MaxNewTokens = tokens, MinNewTokens = tokens, TopK = 20 },
        };
        request.InputIds.Ids.AddRange(Prompt);
        return request;
    }

    static long[] InProcess(int tokens, ulong seed)
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var sampling = SamplingMethods.Apply("top_k", new SamplingParams { Seed = seed, MaxNewTokens = tokens, MinNewTokens = tokens, TopK = 20 });
        using var session = new GenerationSession(loaded.Model, new GenerationRequest { Prompts = [Prompt], Sampling = sampling, EosTokenIds = loaded.EosTokenIds });
        while (!session.IsFinished) session.Step();
        return session.Generated(0).ToArray();
    }

    /// <summary>The token deltas of a stream's events, in order.</summary>
    internal static List<TokenDelta> Tokens(IEnumerable<GenerateEvent> events) => events.Where(e => e.Tokens is not null).SelectMany(e => e.Tokens.Tokens).ToList();

    [Fact]
    public async Task GenerateStreamsTheInProcessTokensThenASummary()
    {
        var events = await fixture.Client.GenerateAsync(Request(16)).ToListAsync();

        var tokens = Tokens(events);
        Assert.Equal(InProcess(16, 5), tokens.Select(t => t.TokenId).ToArray());
        Assert.Equal(Enumerable.Range(0, 16), tokens.Select(t => t.Index));
        Assert.Equal("length", tokens[^1].FinishReason);
        var summary = events[^1].Summary;
        Assert.Equal("finished", summary.Status);
        Assert.Equal(tokens.Select(t => t.TokenId), summary.Sequences.Single().TokenIds);
        Assert.Equal(5, summary.PromptTokens);
    }

    [Fact]
    public async Task ResumeAfterADroppedStreamHasNoGapAndNoDuplicate()
    {
        var first = new List<TokenDelta>();
        string session = "";
        using (var cancel = new CancellationTokenSource())
        {
            using var call = fixture.Client.Raw.Generate(Request(120, seed: 9), cancellationToken: cancel.Token);
            while (first.Count < 7 && await call.ResponseStream.MoveNext(cancel.Token))
            {
                session = call.ResponseStream.Current.SessionId;
                first.AddRange(call.ResponseStream.Current.Tokens.Tokens);
            }
            cancel.Cancel();
        }
        var rest = await fixture.Client.ResumeAsync(session, first.Count).ToListAsync();
        var all = first.Concat(Tokens(rest)).ToList();

        Assert.Equal(Enumerable.Range(0, 120), all.Select(t => t.Index));
        Assert.Equal(InProcess(120, 9), all.Select(t => t.TokenId).ToArray());
        Assert.Equal("finished", rest[^1].Summary.Status);
    }

    [Fact]
    public async Task CancelEndsASessionThatRunsWithoutAWatcher()
    {
        var call = fixture.Client.Raw.Generate(Request(250));
        Assert.True(await call.ResponseStream.MoveNext(default));
        var session = call.ResponseStream.Current.SessionId;
        call.Dispose();

        var status = await fixture.Client.CancelAsync(session);

        Assert.Equal("cancelled", status.Status);
        Assert.Equal("cancelled", status.Sequences.Single().FinishReason);
        Assert.True(status.GeneratedTokens < 250);
    }

    [Theory]
    [InlineData("top_p", StatusCode.InvalidArgument)]
    [InlineData("max_new_tokens", StatusCode.InvalidArgument)]
    [InlineData("method", StatusCode.InvalidArgument)]
    [InlineData("prompt", StatusCode.InvalidArgument)]
    [InlineData("input_ids", StatusCode.InvalidArgument)]
    [InlineData("model", StatusCode.NotFound)]
    [InlineData("capacity", StatusCode.ResourceExhausted)]
    public async Task BadRequestsGetTheirStatusCodeAndNameTheField(string field, StatusCode code)
    {
        var request = Request(8);
        switch (field)
        {
            case "top_p": request.Sampling.TopP = 1.5; break;
            case "max_new_tokens": request.Sampling.MaxNewTokens = 0; request.Sampling.MinNewTokens = 0; break;
            case "method": request.Method = "beam-of-light"; break;
            case "prompt": request.ClearInput(); break;
            case "input_ids": request.Model = "llama-text"; request.Prompt = "Hello world, a prompt beyond the tiny vocabulary"; break;
            case "model": request.Model = "no-such-model"; break;
            case "capacity": request.Model = "llama-budget"; request.Sampling.MaxNewTokens = 100; request.Sampling.MinNewTokens = 0; break;
        }

        var e = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GenerateAsync(request).ToListAsync().AsTask());

        Assert.Equal(code, e.StatusCode);
        if (code == StatusCode.InvalidArgument)
        {
            Assert.StartsWith(field, e.Status.Detail);
            Assert.Equal(field, e.Trailers.GetValue("field"));
        }
        if (code == StatusCode.NotFound) Assert.Contains("no-such-model", e.Status.Detail);
        if (code == StatusCode.ResourceExhausted) Assert.Contains("budget is 64", e.Status.Detail);
    }

    [Fact]
    public async Task UnknownAndMalformedSessionsAreRefused()
    {
        var missing = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GetSessionAsync("0123@llama-tiny"));
        var malformed = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.ResumeAsync("nonsense", 0).ToListAsync().AsTask());

        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        Assert.Equal("session_id", malformed.Trailers.GetValue("field"));
    }

    [Fact]
    public async Task ListModelsAndTokenizeAnswerFromTheModelSilos()
    {
        var models = await fixture.Client.ListModelsAsync();
        var tokens = await fixture.Client.TokenizeAsync("llama-text", "Hello world");
        var noTokenizer = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.TokenizeAsync("llama-tiny", "Hello"));

        Assert.Equal(["default", "llama-budget", "llama-text", "llama-tiny", "llama-tiny-draft"], models.Select(m => m.Name));
        Assert.Equal(512, models.Single(m => m.Name == "llama-tiny").VocabSize);
        Assert.True(models.Single(m => m.Name == "llama-text").HasTokenizer);
        Assert.Equal([15496, 995], tokens.TokenIds);
        Assert.Equal("Ġworld", tokens.Pieces[1]);
        Assert.Equal(StatusCode.InvalidArgument, noTokenizer.StatusCode);
    }
}
