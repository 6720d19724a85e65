using GenCluster.Grains.Hosting;
using GenCluster.Grains.Models;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace GenCluster.Grains.Tests;

/// <summary>Durable sessions: state in a real Redis, a silo killed mid-generation, the session finishing elsewhere.</summary>
public sealed class SessionFailoverTests
{
    static ModelHostingOptions Hosting(int silo) => new() { PersistEveryTokens = 4, Models = silo == 0 ? [] : [TestCluster.Llama()] };

    [Fact]
    public async Task AKilledSilosSessionFinishesElsewhereWithTheTokensOfAnUninterruptedRun()
    {
        if (RedisServer.Binary is null)
        {
            Console.WriteLine("SKIPPED: redis-server is not installed (apt-get install redis-server; .ci/run installs it)");
            return;
        }
        using var redis = await RedisServer.StartAsync();
        await using var cluster = await TestCluster.StartAsync(3, Hosting, new ClusterStorage { Kind = StorageKind.Redis, RedisConnection = redis.Connection });
        var order = Generations.Order(Generations.Sampled(200, seed: 2024));
        var session = cluster.Client.GetGrain<ISessionGrain>(SessionId.New(TestCluster.Model));
        var started = await session.Start(order);
        var doomed = cluster.Silos.Single(s => s.SiloAddress.ToString() == started.Silo);
        using var device = new ManualResetEventSlim();
        var received = new List<TokenEvent>();
        try
        {
            await foreach (var e in session.Watch(0))
            {
                received.Add(e);
                if (received.Count < 12) continue;
                // Hold the doomed silo's device so the session is mid-generation when the silo dies.
                _ = doomed.ServiceProvider.GetRequiredService<ModelCatalog>().Get(TestCluster.Model).Executor.RunAsync(() => device.Wait(TimeSpan.FromSeconds(60)));
                break;
            }
            await cluster.KillSiloAsync(doomed);

            received.AddRange(await WatchWithRetriesAsync(session, received.Count));
            var info = await session.GetInfo();

            Assert.Equal(SessionStatus.Finished, info.Status);
            Assert.Equal(2, info.Activations);
            Assert.NotEqual(started.Silo, info.Silo);
            Assert.Equal(Enumerable.Range(0, 200), received.Select(e => e.Position));
            Assert.Equal(Generations.Reference(order), received.Select(e => e.TokenId).ToArray());
        }
        finally { device.Set(); }
    }

    // The watcher's stream breaks with its silo; the client resumes from the next index once the cluster has
    // declared the silo dead and the session has been revived on the other silo serving the model.
    static async Task<List<TokenEvent>> WatchWithRetriesAsync(ISessionGrain session, int from)
    {
        var events = new List<TokenEvent>();
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await foreach (var e in session.Watch(from + events.Count)) events.Add(e);
                return events;
            }
            catch (Exception) when (attempt < 60)
            {
                await Task.Delay(500);
            }
        }
    }
}
