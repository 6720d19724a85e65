using System.Net;
using GenCluster.Gateway;
using GenCluster.Gateway.OpenAi;
using GenCluster.Grains.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GenCluster.Silo;

/// <summary>
/// Builds a GenCluster process from <see cref="HostSettings"/>: a silo (models, sessions) co-hosting the gRPC gateway,
/// a silo alone, or the gateway alone as an Orleans client; localhost clustering and in-memory state unless Redis is configured.
/// </summary>
public static class ClusterHost
{
    /// <summary>The host, not yet started.</summary>
    public static WebApplication Build(HostSettings settings, string[]? args = null, LogLevel logLevel = LogLevel.Warning)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args ?? [] });
        // Logs go to stderr, so that stdout carries only what a command prints (e.g. serve's address).
        builder.Logging.ClearProviders().AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(logLevel);
        bool gateway = settings.Role != HostRole.Silo;
        var listen = IPAddress.Parse(settings.ListenAddress);
        builder.WebHost.ConfigureKestrel(k =>
        {
            // Cleartext HTTP/2 (gRPC) needs prior knowledge, so HTTP/1.1 gets its own port: the OpenAI-compatible API on
            // a gateway, /health alone on a model silo (Kubernetes probes). A silo with it off still binds an ephemeral
            // loopback port, or Kestrel would take its default localhost:5000 (and a second silo on the machine would fail).
            if (gateway) k.Listen(listen, settings.GrpcPort, l => l.Protocols = HttpProtocols.Http2);
            if (settings.HttpPort >= 0) k.Listen(listen, settings.HttpPort, l => l.Protocols = HttpProtocols.Http1);
            else if (!gateway) k.Listen(IPAddress.Loopback, 0);
        });
        if (settings.Role == HostRole.Gateway) builder.UseOrleansClient(client => ConfigureClient(client, settings));
        else builder.UseOrleans(silo => ConfigureSilo(silo, settings));
        if (gateway) builder.Services.AddGenClusterGateway();
        var app = builder.Build();
        if (gateway) app.MapGenClusterGateway();
        if (gateway && settings.HttpPort >= 0) app.MapOpenAiApi(settings.ApiKey);
        else if (settings.HttpPort >= 0) app.MapGet("/health", () => Results.Ok());
        return app;
    }

    /// <summary>The gRPC address a started host listens on, e.g. http://127.0.0.1:50051.</summary>
    public static string GrpcAddress(WebApplication app) => Addresses(app)[0];

    /// <summary>The OpenAI-compatible API's address of a started host, e.g. http://127.0.0.1:8000; null when it is off.</summary>
    public static string? HttpAddress(WebApplication app) => Addresses(app) is { Count: > 1 } addresses ? addresses[1] : null;

    // Kestrel lists the bound addresses in the order of the Listen calls: gRPC first, then HTTP.
    static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();

    /// <summary>A loopback port free right now (for ports that only have to be free, e.g. a one-silo cluster's silo port).</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static void ConfigureSilo(ISiloBuilder silo, HostSettings s)
    {
        if (s.Storage.Kind == StorageKind.Redis)
        {
            silo.UseRedisClustering(o => o.ConfigurationOptions = GenClusterSiloBuilder.RedisOptions(s.Storage));
            silo.Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (s.ClusterId, s.ServiceId));
            var advertised = IPAddress.Parse(s.AdvertisedAddress);
            silo.ConfigureEndpoints(advertised, s.SiloPort, s.OrleansGatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
        }
        else silo.UseLocalhostClustering(s.SiloPort, s.OrleansGatewayPort, null, s.ServiceId, s.ClusterId);
        silo.AddGenCluster(s.Hosting, s.Storage);
    }

    static void ConfigureClient(IClientBuilder client, HostSettings s)
    {
        if (s.Storage.Kind == StorageKind.Redis)
        {
            client.UseRedisClustering(o => o.ConfigurationOptions = GenClusterSiloBuilder.RedisOptions(s.Storage));
            client.Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (s.ClusterId, s.ServiceId));
        }
        else client.UseLocalhostClustering(s.OrleansGatewayPort, s.ServiceId, s.ClusterId);
    }
}
