using GenCluster.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace GenCluster.Gateway;

/// <summary>Registers and maps the gRPC gateway: the Generation service, gRPC health checks and server reflection.</summary>
public static class GatewayHosting
{
    /// <summary>Adds the gateway's services (needs an Orleans client or silo in the same host for IGrainFactory).</summary>
    public static IServiceCollection AddGenClusterGateway(this IServiceCollection services)
    {
        services.AddGrpc(o => o.Interceptors.Add<GatewayErrors>());
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck<ClusterHealthCheck>("cluster");
        return services;
    }

    /// <summary>Maps the gateway's endpoints.</summary>
    public static IEndpointRouteBuilder MapGenClusterGateway(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<GenerationService>();
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapGrpcReflectionService();
        return endpoints;
    }
}
