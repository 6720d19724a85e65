using GenCluster.Grains.Models;
using GenCluster.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace GenCluster.Grains.Tests;

/// <summary>
/// Concurrent session grains on the test cluster: their decode steps share batched forwards on each silo's model
/// executor, and every session streams the token ids an uninterrupted in-process run of its request alone produces.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ContinuousBatchingTests(ClusterFixture fixture)
{
    static readonly long[][] Prompts = [[1, 15, 42, 7, 99], [3, 8, 300, 120], [12, 40, 41, 9, 77, 5, 5, 61], [200, 31, 17]];

    long BatchedPasses(string model) => fixture.Cluster.Silos
        .Select(s => s.ServiceProvider.GetRequiredService<ModelCatalog>())
        .Where(c => c.Serves(model)).Sum(c => c.Get(model).Executor.BatchedPasses);

    async Task AssertEachAsAloneAsync(string model, string modelDir, Func<int, SamplingSpec> sampling)
    {
        var orders = Prompts.Select((p, i) => Generations.Order(sampling(i), model) with { Prompts = [p], DefaultSeed = (ulong)(5 + i) }).ToArray();
        long before = BatchedPasses(model);
        var sessions = orders.Select(o => fixture.Client.GetGrain<ISessionGrain>(SessionId.New(model))).ToArray();
        await Task.WhenAll(sessions.Select((s, i) => s.Start(orders[i])));
        var streams = await Task.WhenAll(sessions.Select(s => Generations.ReadAllAsync(s.Watch(0))));

        for (int i = 0; i < orders.Length; i++)
        {
            Assert.Equal(Generations.Reference(orders[i], modelDir), streams[i].Select(e => e.TokenId).ToArray());
            Assert.Equal(SessionStatus.Finished, (await sessions[i].GetInfo()).Status);
        }
        // Four sessions on two silos: at least two share a silo and run at the same time.
        Assert.True(BatchedPasses(model) > before, "no decode step was batched with another session's");
    }

    [Fact]
    public async Task GreedySessionsOfDifferentLengthsOnTheDefaultModelGetTheirAloneTokens() =>
        await AssertEachAsAloneAsync(ClusterFixture.TextModel, Path.Combine(Fixtures.RepoRoot, "models", "default"),
            i => new SamplingSpec { MaxNewTokens = 40 + 20 * i, MinNewTokens = 40 + 20 * i });

    [Fact]
    public async Task GreedyAndSampledSessionsOnTheFixtureModelGetTheirAloneTokens() =>
        await AssertEachAsAloneAsync(TestCluster.Model, Fixtures.Model("llama-tiny"),
            i => i % 2 == 0 ? new SamplingSpec { MaxNewTokens = 150 + 30 * i, MinNewTokens = 150 + 30 * i } : Generations.Sampled(150 + 30 * i, seed: (ulong)i));
}
