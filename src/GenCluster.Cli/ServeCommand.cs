using System.CommandLine;
using GenCluster.Grains.Hosting;
using GenCluster.Silo;

namespace GenCluster.Cli;

/// <summary>`gencluster serve`: the all-in-one cluster on localhost (one silo co-hosting the gRPC gateway) until stopped.</summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var port = CliOption.Create<int>("--port", "gRPC port (0 picks a free one)").WithDefault(50051);
        var models = CliOption.Create<string[]>("--model", "model folder to serve, repeatable; served under its folder name with NAME-draft and NAME-medusa beside it (default: the shipped models/default)");
        var httpPort = CliOption.Create<int>("--http-port", "port of the OpenAI-compatible HTTP API (0 picks a free one, -1 turns it off)").WithDefault(8000);
        var apiKey = CliOption.Create<string?>("--api-key", "API key the OpenAI-compatible API asks for (Authorization: Bearer); default $GENCLUSTER_API_KEY, else open");
        var redis = CliOption.Create<string?>("--redis", "Redis connection (e.g. localhost:6379) for clustering, sessions and reminders; default in memory");
        var accelerate = CliOption.Create<string?>("--accelerate", "speculative|medusa|prompt_lookup: run plain single-sequence requests (OpenAI API included) with this method where the model has its draft/heads (as vLLM's speculative config)");
        accelerate.AcceptOnlyFromAmong("speculative", "medusa", "prompt_lookup");
        var command = new Command("serve", "serve models over gRPC and an OpenAI-compatible HTTP API from an all-in-one local cluster") { port, httpPort, apiKey, models, redis, accelerate };
        command.SetAction(async (r, cancellation) =>
        {
            var dirs = r.GetValue(models) is { Length: > 0 } given ? given.Select(ModelLocator.Resolve).ToArray() : [ModelLocator.Resolve(null)];
            var settings = new HostSettings
            {
                GrpcPort = r.GetValue(port), HttpPort = r.GetValue(httpPort), ApiKey = r.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("GENCLUSTER_API_KEY"),
                SiloPort = ClusterHost.FreeLoopbackPort(), OrleansGatewayPort = 0,
                Hosting = new ModelHostingOptions { Models = dirs.SelectMany(d => Hosted(d, r.GetValue(accelerate))).DistinctBy(m => m.Name).ToList() },
                Storage = r.GetValue(redis) is { } connection ? new ClusterStorage { Kind = StorageKind.Redis, RedisConnection = connection } : new ClusterStorage(),
            };
            await using var app = ClusterHost.Build(settings);
            await app.StartAsync(cancellation);
            await stdout.WriteLineAsync($"gencluster serving {string.Join(", ", settings.Hosting.Models.Select(m => m.Name))} on {ClusterHost.GrpcAddress(app)} (Ctrl-C to stop)");
            if (ClusterHost.HttpAddress(app) is { } http) await stdout.WriteLineAsync($"OpenAI-compatible API on {http}/v1");
            await stdout.FlushAsync(cancellation);
            // Ctrl-C or SIGTERM reach either the command line's token or the host's own console lifetime.
            using var stopped = CancellationTokenSource.CreateLinkedTokenSource(cancellation, app.Lifetime.ApplicationStopping);
            try { await Task.Delay(Timeout.Infinite, stopped.Token); }
            catch (OperationCanceledException) { }
            await app.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// A served folder and its companions, found beside it by name as the shipped models are laid out: "NAME-draft"
    /// (served too, the draft of method speculative) and "NAME-medusa" (Medusa heads, method medusa); with
    /// <paramref name="accelerate"/> the model runs plain requests with that method when it has the draft or heads it needs.
    /// </summary>
    static IEnumerable<HostedModel> Hosted(string dir, string? accelerate)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
        var draft = ModelLocator.Companion(dir, "draft");
        var model = new HostedModel
        {
            Name = name, Dir = dir, Draft = draft is null ? null : name + "-draft", MedusaHeads = ModelLocator.Companion(dir, "medusa"), Accelerate = accelerate,
        };
        yield return model.CanAccelerate ? model : model with { Accelerate = null };
        if (draft is not null) yield return new HostedModel { Name = name + "-draft", Dir = draft };
    }
}
