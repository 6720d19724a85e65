namespace GenCluster.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class SessionGrainTests(ClusterFixture fixture)
{
    readonly IClusterClient _client = fixture.Client;

    ISessionGrain NewSession(string model = TestCluster.Model) => _client.GetGrain<ISessionGrain>(SessionId.New(model));

    [Fact]
    public async Task StreamsTheSameTokensAsTheInProcessLoop()
    {
        var order = Generations.Order(Generations.Sampled(24));
        var session = NewSession();
        await session.Start(order);
        var events = await Generations.ReadAllAsync(session.Watch(0));

        Assert.Equal(Generations.Reference(order), events.Select(e => e.TokenId).ToArray());
        Assert.Equal(Enumerable.Range(0, 24), events.Select(e => e.Position));
        Assert.Equal("length", events[^1].Finish);
        Assert.All(events, e => Assert.True(e.Logprob <= 0));
        var info = await session.GetInfo();
        Assert.Equal(SessionStatus.Finished, info.Status);
        Assert.Equal(events.Select(e => e.TokenId), info.Sequences.Single().TokenIds);
    }

    [Fact]
    public async Task GreedyWithSeveralSamplesStreamsEverySequenceInStepOrder()
    {
        var order = Generations.Order(new SamplingSpec { MaxNewTokens = 6, MinNewTokens = 6, N = 2 });
        var session = NewSession();
        await session.Start(order);
        var events = await Generations.ReadAllAsync(session.Watch(0));

        Assert.Equal(12, events.Count);
        Assert.Equal(events.OrderBy(e => e.Index).ThenBy(e => e.Sequence).Select(e => e.Position), events.Select(e => e.Position));
        var info = await session.GetInfo();
        Assert.Equal(info.Sequences[0].TokenIds, info.Sequences[1].TokenIds);
    }

    [Fact]
    public async Task SessionsRunOnSilosThatServeTheirModel()
    {
        var serving = TestCluster.SilosServing(fixture.Cluster, TestCluster.Model).Select(s => s.ToString()).ToHashSet();
        var placed = new HashSet<string>();
        for (int i = 0; i < 8; i++)
        {
            var info = await NewSession().Start(Generations.Order(new SamplingSpec { MaxNewTokens = 2 }));
            placed.Add(info.Silo);
        }

        Assert.Equal(2, serving.Count);
        Assert.Subset(serving, placed);
    }

    [Fact]
    public async Task UnknownModelIsRefusedByPlacement()
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => NewSession("no-such-model").Start(Generations.Order(new SamplingSpec(), "no-such-model")));
        Assert.Contains("no-such-model", e.Message);
        Assert.Contains("not served", e.Message);
    }

    [Fact]
    public async Task ResumeFromAnIndexHasNoGapAndNoDuplicate()
    {
        var order = Generations.Order(Generations.Sampled(40, seed: 11));
        var session = NewSession();
        await session.Start(order);
        var first = new List<TokenEvent>();
        await foreach (var e in Generations.Events(session.Watch(0)))
        {
            first.Add(e);
            if (first.Count == 9) break;
        }
        var rest = await Generations.ReadAllAsync(session.Watch(first.Count));

        Assert.Equal(Generations.Reference(order), first.Concat(rest).Select(e => e.TokenId).ToArray());
        Assert.Equal(Enumerable.Range(0, 40), first.Concat(rest).Select(e => e.Position));
    }

    [Fact]
    public async Task CancelEndsTheRunningSequencesWithFinishReasonCancelled()
    {
        var session = NewSession();
        await session.Start(Generations.Order(Generations.Sampled(250)));
        var info = await session.Cancel();
        var events = await Generations.ReadAllAsync(session.Watch(0));

        Assert.Equal(SessionStatus.Cancelled, info.Status);
        Assert.Equal("cancelled", events[^1].Finish);
        Assert.True(info.Sequences[0].TokenIds.Length < 250);
    }

    [Fact]
    public async Task AWatcherLeavingCancelsOnlyWhenTheOrderAskedForIt()
    {
        var detached = NewSession();
        var attached = NewSession();
        await detached.Start(Generations.Order(Generations.Sampled(60)));
        await attached.Start(Generations.Order(Generations.Sampled(250), cancelOnDisconnect: true));
        await foreach (var _ in Generations.Events(detached.Watch(0))) break;
        await foreach (var _ in Generations.Events(attached.Watch(0))) break;

        var detachedEnd = await Generations.ReadAllAsync(detached.Watch(0));
        SessionInfo attachedInfo;
        do attachedInfo = await attached.GetInfo(); while (attachedInfo.Status == SessionStatus.Running && await Delay());

        Assert.Equal(60, detachedEnd.Count);
        Assert.Equal(SessionStatus.Cancelled, attachedInfo.Status);
        Assert.True(attachedInfo.Sequences[0].TokenIds.Length < 250);
    }

    static async Task<bool> Delay()
    {
        await Task.Delay(20);
        return true;
    }

    [Theory]
    [InlineData("top_p")]
    [InlineData("max_new_tokens")]
    [InlineData("input_ids")]
    [InlineData("prompt")]
    public async Task BadRequestsNameTheField(string field)
    {
        var order = field switch
        {
            "top_p" => Generations.Order(new SamplingSpec { DoSample = true, TopP = 1.5 }),
            "max_new_tokens" => Generations.Order(new SamplingSpec { MaxNewTokens = 0 }),
            "input_ids" => Generations.Order(new SamplingSpec()) with { Prompts = [[1, 2, 100000]] },
            _ => Generations.Order(new SamplingSpec()) with { Prompts = [[]] },
        };
        var session = NewSession();
        var e = await Assert.ThrowsAsync<InvalidRequestException>(() => session.Start(order));

        Assert.Equal(field, e.Field);
        Assert.StartsWith(field, e.Message);
        await Assert.ThrowsAsync<SessionNotFoundException>(() => session.GetInfo());
    }

    [Fact]
    public async Task AnUnknownSessionIsNotFound()
    {
        await Assert.ThrowsAsync<SessionNotFoundException>(() => NewSession().GetInfo());
        await Assert.ThrowsAsync<SessionNotFoundException>(() => Generations.ReadAllAsync(NewSession().Watch(0)));
    }
}
