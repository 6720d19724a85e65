using GenCluster.Grains.Models;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;

namespace GenCluster.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ModelHostGrainTests(ClusterFixture fixture)
{
    IServiceProvider ModelSilo(string model = TestCluster.Model) =>
        fixture.Cluster.GetSiloServiceProvider(TestCluster.SilosServing(fixture.Cluster, model)[0]);

    [Fact]
    public void ALeaseIsPassedByReferenceLocallyAndRefusesToSerialize()
    {
        var services = ModelSilo();
        var lease = new ModelLease("s@llama-tiny", 10, services.GetRequiredService<ModelCatalog>().Get(TestCluster.Model));

        Assert.Same(lease, services.GetRequiredService<DeepCopier>().Copy(lease));
        var e = Assert.Throws<LocalOnlyMessageException>(() => services.GetRequiredService<Serializer>().SerializeToArray(lease));
        Assert.Contains("cannot leave its silo", e.Message);
    }

    [Fact]
    public async Task AdmittingACallerOnAnotherSiloFailsInsteadOfShippingTheModel()
    {
        var serving = TestCluster.SilosServing(fixture.Cluster, TestCluster.Model);
        var host = fixture.Client.GetGrain<IModelHostGrain>(ModelHostKey.For(TestCluster.Model, serving[0]));

        var e = await Assert.ThrowsAnyAsync<Exception>(() => host.Admit("remote@llama-tiny", 10, serving[1]));

        Assert.Contains("cannot leave its silo", e.Message);
        Assert.Equal(0, (await host.Load()).Sessions);
    }

    [Fact]
    public async Task ASpeculativeSessionHoldsKvRoomOnItsDraftsHostUntilItEnds()
    {
        var services = ModelSilo(TestCluster.Draft);
        var silo = TestCluster.SilosServing(fixture.Cluster, TestCluster.Draft).Single();
        var draftHost = fixture.Client.GetGrain<IModelHostGrain>(ModelHostKey.For(TestCluster.Draft, silo));
        using var device = new ManualResetEventSlim();
        // Holding the target's device keeps the session from finishing while the hosts are asked.
        var busy = services.GetRequiredService<ModelCatalog>().Get(TestCluster.Model).Executor.RunAsync(() => device.Wait(TimeSpan.FromSeconds(30)));
        var order = Generations.Order(new SamplingSpec { MaxNewTokens = 20 }) with { Decoding = new DecodingSpec { Method = "speculative" } };
        var session = fixture.Client.GetGrain<ISessionGrain>(SessionId.New(TestCluster.Model, SessionNeeds.Of(order.Decoding)));
        HostLoad during;
        try
        {
            await session.Start(order);
            during = await draftHost.Load();
        }
        finally { device.Set(); }
        await busy;
        await Generations.ReadAllAsync(session.Watch(0));

        Assert.Equal(1, during.Sessions);
        Assert.Equal(Generations.Prompt.Length + 20 + 1 + 4, during.KvTokensUsed);
        Assert.Equal(0, (await draftHost.Load()).Sessions);
    }

    [Fact]
    public async Task ASessionBeyondTheKvBudgetWaitsThenIsRefused()
    {
        var executor = ModelSilo(ClusterFixture.BudgetModel).GetRequiredService<ModelCatalog>().Get(ClusterFixture.BudgetModel).Executor;
        using var device = new ManualResetEventSlim();
        // Another tenant's long forward pass holds the device, so the first session keeps its reservation.
        var busy = executor.RunAsync(() => device.Wait(TimeSpan.FromSeconds(30)));
        var order = Generations.Order(Generations.Sampled(190), ClusterFixture.BudgetModel);
        var first = fixture.Client.GetGrain<ISessionGrain>(SessionId.New(ClusterFixture.BudgetModel));
        var second = fixture.Client.GetGrain<ISessionGrain>(SessionId.New(ClusterFixture.BudgetModel));
        try
        {
            await first.Start(order);
            var refused = await Assert.ThrowsAsync<CapacityExceededException>(() => second.Start(order));
            Assert.Contains("at capacity", refused.Message);
        }
        finally { device.Set(); }
        await busy;

        Assert.Equal(190, (await Generations.ReadAllAsync(first.Watch(0))).Count);
        await second.Start(order);
        Assert.Equal(190, (await Generations.ReadAllAsync(second.Watch(0))).Count);
    }
}
