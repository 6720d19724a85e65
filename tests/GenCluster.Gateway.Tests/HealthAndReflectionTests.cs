using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;

namespace GenCluster.Gateway.Tests;

public sealed class HealthAndReflectionTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task TheGatewayReportsServingAndListsItsServicesByReflection()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Address);
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        using var reflection = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
        await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await reflection.RequestStream.CompleteAsync();
        Assert.True(await reflection.ResponseStream.MoveNext(default));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Contains("gencluster.v1.Generation", reflection.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name));
    }
}
