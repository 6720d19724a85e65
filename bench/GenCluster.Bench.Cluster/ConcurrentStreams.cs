using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using GenCluster.Client;
using GenCluster.Decoding;
using GenCluster.Gateway.V1;
using GenCluster.Grains.Hosting;
using GenCluster.Grains.Models;
using GenCluster.Grains.Sessions;
using GenCluster.Sampling;
using GenCluster.Silo;
using Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Aggregate tokens/s of N concurrent streams through the all-in-one cluster's gateway, with the model executor
/// batching the sessions' decode steps into one forward (continuous batching) and without (every step alone,
/// round-robin: how the executor ran before). The folder is served twice, once each way, and the two alternate run by
/// run (A, B, B, A, ...) so that both see the same machine load; per level the JSON has the medians of each and the
/// median of the per-pair ratios.
/// </summary>
internal static class ConcurrentStreams
{
    const string Batched = "batched", RoundRobin = "round-robin";

    public static async Task RunAsync(BenchOptions options, string levelList)
    {
        var dir = options.Get("model", Path.Combine("models", "default"));
        int newTokens = int.Parse(options.Get("new-tokens", "128")), runs = int.Parse(options.Get("runs", "5"));
        var levels = levelList.Split(',').Select(int.Parse).ToArray();
        bool greedy = options.Get("sampling", "top-k") == "greedy";
        var dtype = options.Get("dtype", "auto");
        long[] prompt = [1, 15, 42, 7, 99, 3, 8, 21];
        var settings = new HostSettings
        {
            GrpcPort = 0, HttpPort = -1, SiloPort = ClusterHost.FreeLoopbackPort(), OrleansGatewayPort = 0,
            Hosting = new ModelHostingOptions
            {
                Models = [new HostedModel { Name = Batched, Dir = dir, Dtype = dtype }, new HostedModel { Name = RoundRobin, Dir = dir, Dtype = dtype, BatchDecodeSteps = false }],
            },
        };
        await using var app = ClusterHost.Build(settings);
        await app.StartAsync();
        using var client = new GenClusterClient(ClusterHost.GrpcAddress(app));

        // Every stream its own seed, all the same length (EOS held off).
        async Task<double> ThroughGateway(bool batched, int streams)
        {
            var requests = Enumerable.Range(0, streams).Select(i => new GenerateRequest
            {
                Model = batched ? Batched : RoundRobin, InputIds = new TokenIds { Ids = { prompt } },
                Sampling = new SamplingParameters { DoSample = !greedy, TopK = greedy ? 0 : 20, Seed = (ulong)(i + 1), MaxNewTokens = newTokens, MinNewTokens = newTokens },
            });
            var clock = Stopwatch.StartNew();
            var counts = await Task.WhenAll(requests.Select(async r =>
            {
                int count = 0;
                await foreach (var e in client.GenerateAsync(r)) count += e.Tokens?.Tokens.Count ?? 0;
                return count;
            }));
            return counts.Sum() / clock.Elapsed.TotalSeconds;
        }

        // The same sessions on the model executors alone (no grains, gateway or delivery): what batching does to the device's side.
        var catalog = app.Services.GetRequiredService<ModelCatalog>();
        async Task<double> OnExecutor(bool batched, int streams)
        {
            var model = catalog.Get(batched ? Batched : RoundRobin);
            var sampling = new SamplingParams { DoSample = !greedy, TopK = greedy ? 0 : 20, MaxNewTokens = newTokens, MinNewTokens = newTokens };
            var sessions = Enumerable.Range(0, streams).Select(i => new StreamedRun(new GenerationSession(model.Loaded.Model,
                new GenerationRequest { Prompts = [prompt], Sampling = sampling with { Seed = (ulong)(i + 1) }, EosTokenIds = model.Loaded.EosTokenIds }))).ToArray();
            var outputs = Channel.CreateUnbounded<StepOutput>();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(sessions.Select(r => model.Executor.RunLoopAsync(new SessionDecodeLoop(r, outputs.Writer, () => false, () => false))));
            double seconds = clock.Elapsed.TotalSeconds;
            int tokens = 0;
            while (outputs.Reader.TryRead(out var output)) tokens += output.Events.Count;
            foreach (var r in sessions) r.Dispose();
            return tokens / seconds;
        }

        var result = new JsonObject
        {
            ["model"] = Path.GetFileName(Path.GetFullPath(dir)), ["dtype"] = dtype, ["new_tokens"] = newTokens, ["runs"] = runs,
            ["sampling"] = greedy ? "greedy" : "top_k 20, seed per stream",
            ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["load_average_1m"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?" },
            ["through_gateway"] = await Measure(ThroughGateway, levels, runs),
            ["on_executor"] = await Measure(OnExecutor, levels, runs),
        };
        var json = result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        Console.WriteLine(json);
        if (options.Get("out", "") is { Length: > 0 } outPath) File.WriteAllText(outPath, json + "\n");
    }

    /// <summary>Per level: a warm-up of each, then batched and round-robin alternating, medians and the median of the pair ratios.</summary>
    static async Task<JsonArray> Measure(Func<bool, int, Task<double>> aggregate, int[] levels, int runs)
    {
        await aggregate(true, levels.Max()); // warm-up: model load, JIT, first activations
        await aggregate(false, levels.Max());
        var rows = new JsonArray();
        foreach (int streams in levels)
        {
            var pairs = new List<(double Batched, double RoundRobin)>();
            for (int run = 0; run < runs; run++)
            {
                // Alternate which goes first, so neither always follows the other's leftovers (GC, cooling caches).
                double a, b;
                if (run % 2 == 0) (a, b) = (await aggregate(true, streams), await aggregate(false, streams));
                else (b, a) = (await aggregate(false, streams), await aggregate(true, streams));
                pairs.Add((a, b));
            }
            double Median(IEnumerable<double> values) => values.Order().ElementAt(runs / 2);
            rows.Add(new JsonObject
            {
                ["streams"] = streams,
                ["batched_tokens_per_second"] = Math.Round(Median(pairs.Select(p => p.Batched)), 1),
                ["round_robin_tokens_per_second"] = Math.Round(Median(pairs.Select(p => p.RoundRobin)), 1),
                ["batched_vs_round_robin"] = Math.Round(Median(pairs.Select(p => p.Batched / p.RoundRobin)), 3),
            });
        }
        return rows;
    }
}
