using GenCluster.Client;
using GenCluster.Gateway.V1;
using GenCluster.Grains.Hosting;
using GenCluster.Silo;
using GenCluster.TestSupport;

namespace GenCluster.Gateway.Tests;

/// <summary>The gateway run alone, as an Orleans client of a separate silo process (here: a second host in this process).</summary>
public sealed class GatewayRoleTests
{
    [Fact]
    public async Task AGatewayWithoutModelsStreamsFromTheSiloThatServesThem()
    {
        int siloPort = ClusterHost.FreeLoopbackPort(), orleansGateway = ClusterHost.FreeLoopbackPort();
        await using var silo = ClusterHost.Build(new HostSettings
        {
            Role = HostRole.Silo, SiloPort = siloPort, OrleansGatewayPort = orleansGateway, ClusterId = "role-tests", ServiceId = "role-tests",
            Hosting = new ModelHostingOptions { Models = [new HostedModel { Name = "llama-tiny", Dir = Fixtures.Model("llama-tiny") }] },
        });
        await silo.StartAsync();
        await using var gateway = ClusterHost.Build(new HostSettings
        {
            Role = HostRole.Gateway, GrpcPort = 0, HttpPort = -1, OrleansGatewayPort = orleansGateway, ClusterId = "role-tests", ServiceId = "role-tests",
        });
        await gateway.StartAsync();
        using var client = new GenClusterClient(ClusterHost.GrpcAddress(gateway));
        var request = new GenerateRequest { InputIds = new TokenIds { Ids = { 1, 2, 3 } }, Sampling = new SamplingParameters { MaxNewTokens = 5, MinNewTokens = 5 } };

        var events = await client.GenerateAsync(request).ToListAsync();

        Assert.Equal(5, events.Sum(e => e.Tokens?.Tokens.Count ?? 0));
        Assert.Equal("llama-tiny", events[^1].Summary.Model);
        Assert.Equal("finished", events[^1].Summary.Status);
    }

}
