using GenCluster.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

// gencluster-silo: one process of a cluster, configured by section "GenCluster" (appsettings.json, GENCLUSTER__*
// environment variables, or --GenCluster:Role=Gateway style arguments).
var configuration = new ConfigurationBuilder()
    .AddJsonFile("appsettings.json", optional: true)
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();
var app = ClusterHost.Build(HostSettings.From(configuration), args, Microsoft.Extensions.Logging.LogLevel.Information);
await app.StartAsync();
Console.WriteLine($"gencluster-silo listening on {(HostSettings.From(configuration).Role == HostRole.Silo ? "(silo only)" : ClusterHost.GrpcAddress(app))}");
await app.WaitForShutdownAsync();
