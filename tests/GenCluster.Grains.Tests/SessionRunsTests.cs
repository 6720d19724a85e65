using System.Text.Json;
using GenCluster.Decoding;
using GenCluster.Decoding.Beam;
using GenCluster.Decoding.Cot;
using GenCluster.Decoding.Json;
using GenCluster.Decoding.Speculative;
using GenCluster.Grains.Hosting;
using GenCluster.Grains.Models;
using GenCluster.Grains.Sessions;
using GenCluster.Models;
using GenCluster.Models.Text;
using GenCluster.Sampling;
using GenCluster.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace GenCluster.Grains.Tests;

/// <summary>Every decoding strategy through a session grain on the real test cluster, against the same decoder run in-process.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SessionRunsTests(ClusterFixture fixture)
{
    static readonly string DefaultDir = Path.Combine(Fixtures.RepoRoot, "models", "default");

    ISessionGrain NewSession(GenerationOrder order) => fixture.Client.GetGrain<ISessionGrain>(SessionId.New(order.Model, SessionNeeds.Of(order.Decoding)));

    static GenerationOrder Order(DecodingSpec decoding, SamplingSpec sampling, string model = TestCluster.Model, long[]? prompt = null) =>
        Generations.Order(sampling, model) with { Decoding = decoding, Prompts = [prompt ?? Generations.Prompt] };

    async Task<(List<TokenEvent> Events, SessionInfo Info)> RunAsync(GenerationOrder order)
    {
        var session = NewSession(order);
        await session.Start(order);
        var events = await Generations.ReadAllAsync(session.Watch(0));
        return (events, await session.GetInfo());
    }

    [Fact]
    public async Task BeamSearchReturnsTheInProcessHypothesesWithTheirScores()
    {
        var order = Order(new DecodingSpec { Method = "beam", NumBeams = 3, NumReturnSequences = 2 }, new SamplingSpec { MaxNewTokens = 12 });
        var (events, info) = await RunAsync(order);

        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var search = new BeamSearch(loaded.Model, new BeamSearchRequest
        {
            Prompt = Generations.Prompt, NumBeams = 3, NumReturnSequences = 2, Sampling = new SamplingParams { MaxNewTokens = 12 }, EosTokenIds = loaded.EosTokenIds,
        });
        var expected = search.Run();
        Assert.Equal(SessionStatus.Finished, info.Status);
        Assert.Equal(expected.Select(h => h.Tokens), info.Sequences.Select(s => s.TokenIds));
        Assert.Equal(expected.Select(h => h.Score), info.Sequences.Select(s => s.Score!.Value));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e.Position));
        Assert.Equal(search.ForwardPasses, info.Stats.ForwardPasses);
        Assert.Equal((search.Progress.Step, expected[0].Score), (info.Progress!.Step, info.Progress.BestScore));
        Assert.Equal(expected[0].Tokens, info.Progress.BestTokenIds);
    }

    [Fact]
    public async Task ARunningBeamSearchReportsItsStepAndBestHypothesisSoFar()
    {
        var order = Order(new DecodingSpec { Method = "beam", NumBeams = 4 }, new SamplingSpec { MaxNewTokens = 200, MinNewTokens = 200 });
        var session = NewSession(order);
        await session.Start(order);
        SessionInfo info;
        do info = await session.GetInfo();
        while (info.Status == SessionStatus.Running && info.Progress is not { Step: >= 3 });
        await session.Cancel();

        Assert.Equal(SessionStatus.Running, info.Status);
        Assert.Empty(info.Sequences);
        Assert.Equal(info.Progress!.Step, info.Progress.BestTokenIds.Length);
        Assert.True(double.IsFinite(info.Progress.BestScore) && info.Progress.BestScore < 0, $"score {info.Progress.BestScore}");
    }

    [Fact]
    public async Task CotDecodingStreamsEveryBranchAndEndsWithTheInProcessAnswers()
    {
        var text = HfTokenizer.Load(DefaultDir);
        long[] prompt = text.Encode("And God said, Let there be").Select(id => (long)id).ToArray();
        var order = Order(new DecodingSpec { Method = "cot", CotBranches = 3, CotAnswerRegex = "(\\w+)" }, new SamplingSpec { MaxNewTokens = 10 }, ClusterFixture.TextModel, prompt);
        var (events, info) = await RunAsync(order);

        using var local = LocalModel.Load(new HostedModel { Name = ClusterFixture.TextModel, Dir = DefaultDir });
        var loaded = local.Loaded;
        var expected = new CotDecoder(loaded.Model, () => local.NewTextStream()!)
            .Run(new CotRequest { Prompt = prompt, Branches = 3, AnswerPattern = "(\\w+)", Sampling = new SamplingParams { MaxNewTokens = 10 }, EosTokenIds = loaded.EosTokenIds });
        var byBranch = expected.Branches.OrderBy(b => b.Rank).ToArray();
        Assert.Equal(byBranch.Select(b => b.Tokens), info.Sequences.Select(s => s.TokenIds));
        Assert.Equal(byBranch.Select(b => b.Text), info.Sequences.Select(s => s.Text));
        Assert.Equal(byBranch.Select(b => b.Answer), info.Sequences.Select(s => s.Answer));
        Assert.Equal(byBranch.Select(b => Math.Round(b.Confidence, 9)), info.Sequences.Select(s => Math.Round(s.Confidence!.Value, 9)));
        Assert.Equal(expected.Answer, info.Answer);
        Assert.Equal(expected.ForwardPasses, info.Stats.ForwardPasses);
        Assert.Equal([0, 1, 2], events.Take(3).Select(e => e.Sequence)); // the first step emits every branch's first token
    }

    [Fact]
    public async Task JsonDecodingProducesTheInProcessSchemaConformingText()
    {
        const string schema = """{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}""";
        var text = HfTokenizer.Load(DefaultDir);
        long[] prompt = text.Encode("The answer:").Select(id => (long)id).ToArray();
        var sampling = new SamplingSpec { DoSample = true, Seed = 4, MaxNewTokens = 40 };
        var (_, info) = await RunAsync(Order(new DecodingSpec { Method = "json", JsonSchema = schema }, sampling, ClusterFixture.TextModel, prompt));

        using var loaded = ModelLoader.Load(DefaultDir);
        var constraint = JsonConstraint.Compile(schema, TokenTexts.Of(text, loaded.Config.VocabSize), loaded.EosTokenIds.Select(id => (int)id).ToArray());
        using var session = new GenerationSession(loaded.Model, new GenerationRequest
        {
            Prompts = [prompt], EosTokenIds = loaded.EosTokenIds, Constraint = _ => new JsonTokenConstraint(constraint), DefaultSeed = 3,
            Sampling = new SamplingParams { DoSample = true, Seed = 4, MaxNewTokens = 40, Logprobs = true },
        });
        while (!session.IsFinished) session.Step();
        var sequence = info.Sequences.Single();
        Assert.Equal(session.Generated(0), sequence.TokenIds);
        if (sequence.Finish == "eos") Assert.True(JsonDocument.Parse(sequence.Text).RootElement.TryGetProperty("name", out _), sequence.Text);
        else Assert.StartsWith("{", sequence.Text);
    }

    [Fact]
    public async Task SpeculativeDecodingWithTheSilosDraftEqualsTheInProcessDecoder()
    {
        var sampling = new SamplingSpec { DoSample = true, Temperature = 0.8, Seed = 21, MaxNewTokens = 30, MinNewTokens = 30 };
        var (events, info) = await RunAsync(Order(new DecodingSpec { Method = "speculative", Lookahead = 3 }, sampling));

        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var draft = ModelLoader.Load(Fixtures.Model(TestCluster.Draft));
        using var decoder = SpeculativeDecoder.WithDraft(target, draft, Request(target, OrderTranslation.Sampling(sampling)), 3);
        while (!decoder.IsFinished) decoder.Step();
        Assert.Equal(decoder.Generated(0), info.Sequences.Single().TokenIds);
        Assert.Equal(Enumerable.Range(0, 30), events.Select(e => e.Position));
        Assert.Equal(decoder.SpeculativeStats.Accepted, info.Stats.Accepted);
        Assert.True(info.Stats.DraftForwardPasses > 0);
    }

    [Fact]
    public async Task PromptLookupAndMedusaKeepThePlainGreedyTokens()
    {
        var greedy = new SamplingSpec { MaxNewTokens = 24, MinNewTokens = 24 };
        var plain = Generations.Reference(Generations.Order(greedy));
        var (_, lookup) = await RunAsync(Order(new DecodingSpec { Method = "prompt_lookup" }, greedy));
        var (_, medusa) = await RunAsync(Order(new DecodingSpec { Method = "medusa" }, greedy));

        Assert.Equal(plain, lookup.Sequences.Single().TokenIds);
        Assert.Equal(plain, medusa.Sequences.Single().TokenIds);
        Assert.True(medusa.Stats.Rounds > 0 && medusa.Stats.Rounds <= 24);
        Assert.True(medusa.Stats.ForwardPasses < 24, $"{medusa.Stats.ForwardPasses} target passes for 24 tokens");
    }

    [Fact]
    public async Task DraftAndMedusaSessionsArePlacedOnTheOnlySiloWithTheDraftAndHeads()
    {
        var equipped = fixture.Cluster.Silos[1].SiloAddress.ToString();
        var greedy = new SamplingSpec { MaxNewTokens = 4 };
        foreach (var decoding in new[] { new DecodingSpec { Method = "speculative" }, new DecodingSpec { Method = "speculative", DraftModel = TestCluster.Draft }, new DecodingSpec { Method = "medusa" } })
            for (int i = 0; i < 4; i++)
                Assert.Equal(equipped, (await RunAsync(Order(decoding, greedy))).Info.Silo);
        // Plain sessions still go to either serving silo.
        var plain = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => RunAsync(Order(new DecodingSpec(), greedy))));
        Assert.Equal(2, plain.Select(r => r.Info.Silo).Distinct().Count());
    }

    [Theory]
    [InlineData(ClusterFixture.MedusaAccelerated)]
    [InlineData(ClusterFixture.DraftAccelerated)]
    public async Task AnAcceleratedModelRunsPlainRequestsWithItsHeadsOrDraftAndKeepsTheirTokens(string model)
    {
        var greedy = Order(new DecodingSpec(), new SamplingSpec { MaxNewTokens = 24, MinNewTokens = 24 }, model);
        var (_, info) = await RunAsync(greedy);
        Assert.Equal(Generations.Reference(greedy with { Model = TestCluster.Model }), info.Sequences.Single().TokenIds);
        Assert.True(info.Stats.Rounds > 0 && info.Stats.ForwardPasses < 24, $"{info.Stats.Rounds} rounds, {info.Stats.ForwardPasses} target passes");
        if (model == ClusterFixture.DraftAccelerated) Assert.True(info.Stats.DraftForwardPasses > 0);

        // Several samples per prompt (or alternatives) are not one sequence: they run as asked.
        var (_, two) = await RunAsync(Order(new DecodingSpec(), new SamplingSpec { DoSample = true, Seed = 4, MaxNewTokens = 8, N = 2 }, model));
        Assert.Equal((2, 0), (two.Sequences.Length, two.Stats.Rounds));
    }

    [Fact]
    public async Task MedusaAccelerationKeepsTheSeededDrawsOfPlainSampling()
    {
        var sampled = Order(new DecodingSpec(), Generations.Sampled(40, seed: 9), ClusterFixture.MedusaAccelerated);
        var (_, info) = await RunAsync(sampled);

        Assert.Equal(Generations.Reference(sampled with { Model = TestCluster.Model }), info.Sequences.Single().TokenIds);
        Assert.True(info.Stats.Rounds > 0);
    }

    [Theory]
    [InlineData("no-such-draft", "draft_model", "not served next to model 'llama-tiny'")]
    [InlineData("bad@name", "draft_model", "must not contain '@'")]
    public async Task ADraftNoSiloServesBesideTheModelIsRefusedNamingTheField(string draft, string field, string message)
    {
        var order = Order(new DecodingSpec { Method = "speculative", DraftModel = draft }, new SamplingSpec());

        var e = await Assert.ThrowsAsync<InvalidRequestException>(() => NewSession(order).Start(order));

        Assert.Equal(field, e.Field);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("num_beams")]
    [InlineData("num_return_sequences")]
    [InlineData("draft_model")]
    [InlineData("json_schema")]
    [InlineData("method")]
    public async Task BadStrategyParametersNameTheField(string field)
    {
        var order = field switch
        {
            "num_beams" => Order(new DecodingSpec { Method = "beam", NumBeams = 0 }, new SamplingSpec()),
            "num_return_sequences" => Order(new DecodingSpec { Method = "beam", NumBeams = 2, NumReturnSequences = 3 }, new SamplingSpec()),
            "draft_model" => Order(new DecodingSpec { Method = "speculative" }, new SamplingSpec(), ClusterFixture.BudgetModel),
            "json_schema" => Order(new DecodingSpec { Method = "json", JsonSchema = "{\"type\": \"bogus\"}" }, new SamplingSpec(), ClusterFixture.TextModel, [5, 6]),
            _ => Order(new DecodingSpec { Method = "beam" }, new SamplingSpec { DoSample = true }),
        };
        var e = await Assert.ThrowsAsync<InvalidRequestException>(() => NewSession(order).Start(order));

        Assert.Equal(field, e.Field);
        Assert.StartsWith(field, e.Message);
    }

    [Fact]
    public async Task TheSessionRecordHoldsOnlyTheEventsAfterTheLastSealedChunk()
    {
        var order = Generations.Order(Generations.Sampled(150, seed: 5));
        var session = NewSession(order);
        await session.Start(order);
        var events = await Generations.ReadAllAsync(session.Watch(0));

        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(ClusterStorage.SessionStore);
        var record = new GrainState<SessionRecord>(new SessionRecord());
        await storage.ReadStateAsync("session", session.GetGrainId(), record);
        Assert.Equal(150 / SessionLog.ChunkSize, record.State!.SealedChunks);
        Assert.Equal(150 % SessionLog.ChunkSize, record.State.Tail.Count);
        var log = new SessionLog(storage, session.GetGrainId());
        await log.LoadAsync(record.State);
        Assert.Equal(events.Select(e => (e.Position, e.TokenId, e.Logprob, e.Finish)), log.Events.Select(e => (e.Position, e.TokenId, e.Logprob, e.Finish)));
        Assert.Equal(Generations.Reference(order), log.Events.Select(e => e.TokenId).ToArray());
    }

    static GenerationRequest Request(LoadedModel model, SamplingParams sampling) =>
        new() { Prompts = [Generations.Prompt], Sampling = sampling, EosTokenIds = model.EosTokenIds, DefaultSeed = 3 };
}
