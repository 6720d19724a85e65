using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using GenCluster.Client;
using GenCluster.Decoding;
using GenCluster.Gateway.V1;
using GenCluster.Grains.Hosting;
using GenCluster.Models;
using GenCluster.Sampling;
using GenCluster.Silo;

// One stream through the all-in-one cluster's gRPC gateway (loopback) versus the same generation in-process:
// tokens/s and time to first token. Same model, prompt, sampling and seed on both sides. The two run in alternation
// (in-process, gateway, in-process, ...) so that both see the same machine load; reported: the medians of --runs
// runs each and the median of the per-pair ratios, the A/B figure on a shared, noisy machine.
// Usage: dotnet run -c Release --project bench/GenCluster.Bench.Cluster -- [--model DIR] [--new-tokens 200] [--runs 5] [--linger-ms 4] [--out bench/cluster/results.json]
// With --concurrent 1,4,8 it measures concurrent streams instead, batched and round-robin (ConcurrentStreams.cs).
var options = new BenchOptions(args);
if (options.Find("concurrent") is { } concurrent)
{
    await ConcurrentStreams.RunAsync(options, concurrent);
    return;
}
string Opt(string name, string fallback) => options.Get(name, fallback);
var dir = Opt("model", Path.Combine("..", "shared", "fixtures", "models", "llama-tiny"));
int newTokens = int.Parse(Opt("new-tokens", "200")), runs = int.Parse(Opt("runs", "5"));
long[] prompt = [1, 15, 42, 7, 99, 3, 8, 21];
var sampling = new SamplingParams { DoSample = true, TopK = 20, Seed = 1, MaxNewTokens = newTokens, MinNewTokens = newTokens };

using var loaded = ModelLoader.Load(dir);
int messages = 0;
var siloDecodeSeconds = new List<double>();
async Task<(double Ttft, double TokensPerSecond)> InProcess()
{
    using var session = new GenerationSession(loaded.Model, new GenerationRequest { Prompts = [prompt], Sampling = sampling, EosTokenIds = loaded.EosTokenIds });
    var clock = Stopwatch.StartNew();
    double first = 0;
    int count = 0;
    await foreach (var _ in GenerationStream.RunAsync(session)) if (count++ == 0) first = clock.Elapsed.TotalSeconds;
    return (first, count / clock.Elapsed.TotalSeconds);
}

var settings = new HostSettings
{
    GrpcPort = 0, HttpPort = -1, SiloPort = ClusterHost.FreeLoopbackPort(), OrleansGatewayPort = 0,
    Hosting = new ModelHostingOptions
    {
        Models = [new HostedModel { Name = "bench", Dir = dir }],
        // --linger-ms: how long the session and its watchers gather tokens before a turn (ModelHostingOptions.BatchLinger).
        BatchLinger = options.Find("linger-ms") is { } linger ? TimeSpan.FromMilliseconds(double.Parse(linger)) : new ModelHostingOptions().BatchLinger,
    },
};
await using var app = ClusterHost.Build(settings);
await app.StartAsync();
using var client = new GenClusterClient(ClusterHost.GrpcAddress(app));
var request = new GenerateRequest
{
    Model = "bench", InputIds = new TokenIds { Ids = { prompt } },
    Sampling = new SamplingParameters { DoSample = true, TopK = 20, Seed = 1, MaxNewTokens = newTokens, MinNewTokens = newTokens },
};
async Task<(double Ttft, double TokensPerSecond)> ThroughGateway()
{
    var clock = Stopwatch.StartNew();
    double first = 0;
    int count = 0;
    await foreach (var e in client.GenerateAsync(request))
    {
        if (e.Summary is { } summary) siloDecodeSeconds.Add(summary.Stats.Seconds);
        if (e.Tokens is null) continue;
        if (count == 0) first = clock.Elapsed.TotalSeconds;
        count += e.Tokens.Tokens.Count;
        messages++;
    }
    return (first, count / clock.Elapsed.TotalSeconds);
}

await InProcess(); // warm-up: model load, JIT, first activation
await ThroughGateway();
messages = 0;
siloDecodeSeconds.Clear();
var pairs = new List<((double Ttft, double Tps) Local, (double Ttft, double Tps) Remote)>();
for (int i = 0; i < runs; i++) pairs.Add((await InProcess(), await ThroughGateway()));
double Median(IEnumerable<double> values) => values.Order().ElementAt(runs / 2);
var local = (Ttft: Median(pairs.Select(p => p.Local.Ttft)), TokensPerSecond: Median(pairs.Select(p => p.Local.Tps)));
var remote = (Ttft: Median(pairs.Select(p => p.Remote.Ttft)), TokensPerSecond: Median(pairs.Select(p => p.Remote.Tps)));
var result = new JsonObject
{
    ["model"] = Path.GetFileName(Path.GetFullPath(dir)), ["new_tokens"] = newTokens, ["runs"] = runs, ["sampling"] = "top_k 20, seed 1",
    ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["load_average_1m"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?" },
    ["in_process"] = new JsonObject { ["tokens_per_second"] = Math.Round(local.TokensPerSecond, 1), ["ttft_ms"] = Math.Round(local.Ttft * 1000, 2) },
    ["gateway"] = new JsonObject
    {
        ["tokens_per_second"] = Math.Round(remote.TokensPerSecond, 1), ["ttft_ms"] = Math.Round(remote.Ttft * 1000, 2),
        ["token_messages_per_stream"] = Math.Round((double)messages / runs, 1),
        // Tokens per second of the decode steps alone, timed inside the silo (the rest is delivery and scheduling).
        ["silo_decode_tokens_per_second"] = Math.Round(newTokens / Median(siloDecodeSeconds), 1),
    },
    ["gateway_vs_in_process"] = Math.Round(Median(pairs.Select(p => p.Remote.Tps / p.Local.Tps)), 3),
    ["ttft_overhead_ms"] = Math.Round((remote.Ttft - local.Ttft) * 1000, 2),
};
var json = result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
Console.WriteLine(json);
if (Opt("out", "") is { Length: > 0 } outPath) File.WriteAllText(outPath, json + "\n");
