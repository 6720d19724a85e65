using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using GenCluster.Bench.Runtime;
using GenCluster.Decoding;
using GenCluster.Models;
using GenCluster.Sampling;

// CPU decode throughput of the runtime on a random-weight checkpoint, beside the machine's memory read bandwidth
// and the bandwidth-bound limit (bandwidth / weight bytes read per token).
// Usage: dotnet run -c Release --project bench/GenCluster.Bench.Runtime -- [--shape smollm2-135m|tiny]
//        [--new-tokens 128] [--prompt-tokens 32] [--batches 1,8] [--bandwidth-gb 2] [--repeats 1 (decode runs per row, each after its own bandwidth probe; the median is reported)] [--dtypes float32,bfloat16,int8]
//        [--fast-path on,off] [--kv-cache on,off] [--batch-invariant on,off] [--model DIR (a real model instead of the random checkpoint)] [--out FILE]
//        [--fused-pass 1,5,9 (instead of decoding: the cost of one forward of T tokens of one sequence, FusedPassCost.cs)] [--fused-past 32 (cached tokens before it)]
var options = new BenchOptions(args);
string Opt(string name, string fallback) => options.Get(name, fallback);
var shape = Opt("shape", "smollm2-135m") == "tiny" ? LlamaShape.Tiny : LlamaShape.SmolLM2_135M;
int newTokens = int.Parse(Opt("new-tokens", "128")), promptTokens = int.Parse(Opt("prompt-tokens", "32"));
var batches = Opt("batches", "1,8").Split(',').Select(int.Parse).ToArray();
double bandwidthGb = double.Parse(Opt("bandwidth-gb", "2"));
int decodeRepeats = int.Parse(Opt("repeats", "1"));
var outPath = Opt("out", "");
var dtypes = Opt("dtypes", "float32").Split(',');
var fastPaths = Opt("fast-path", "on").Split(',').Select(v => v == "on").ToArray();
var kvModes = Opt("kv-cache", "on,off").Split(',').Select(v => v == "on").ToArray();
var invariance = Opt("batch-invariant", "on").Split(',').Select(v => v == "on").ToArray();
var fusedPass = options.Find("fused-pass")?.Split(',').Select(int.Parse).ToArray();
int fusedPast = int.Parse(Opt("fused-past", "32"));

Console.Error.WriteLine($"measuring memory read bandwidth over {bandwidthGb} GB ...");
double bandwidth = MemoryBandwidth.MeasureGBps((long)(bandwidthGb * 1e9));
Console.Error.WriteLine($"bandwidth {bandwidth:F1} GB/s");

var dir = Opt("model", "");
if (dir == "")
{
    dir = Path.Combine(Path.GetTempPath(), $"gencluster-bench-{shape.Name}");
    if (!File.Exists(Path.Combine(dir, "model.safetensors"))) shape.Write(dir, seed: 1);
}
var rng = new Random(5);
var runs = new JsonArray();
foreach (var dtype in dtypes)
foreach (var fast in fastPaths)
foreach (var invariant in fast ? invariance : [true])
{
    using var loaded = ModelLoader.Load(dir, new LoadOptions { Dtype = dtype, CpuKernels = fast, BatchInvariant = invariant });
    int vocab = loaded.Config.VocabSize;
    double bytesPerWeight = dtype switch { "bfloat16" => 2, "int8" => 1 + 4.0 / 32, _ => 4 };
    double tokenBytes = WeightElements(loaded) * bytesPerWeight;
    if (fusedPass is not null)
    {
        runs.Add(new JsonObject { ["dtype"] = dtype, ["fast_path"] = fast, ["fused_past"] = fusedPast, ["fused_pass"] = FusedPassCost.Measure(loaded.Model, fusedPass, fusedPast) });
        continue;
    }
    foreach (var cached in kvModes)
    foreach (int batch in batches)
    {
        var prompts = Enumerable.Range(0, batch).Select(_ => (IReadOnlyList<long>)Enumerable.Range(0, promptTokens).Select(_ => (long)rng.Next(3, vocab)).ToArray()).ToArray();
        var request = new GenerationRequest { Prompts = prompts, Sampling = new SamplingParams { MaxNewTokens = newTokens }, UseKvCache = cached };
        Measure(loaded, request with { Sampling = request.Sampling with { MaxNewTokens = 4 } }); // warm-up
        // Each repeat measures the machine's read bandwidth right before it: on a shared VM it moves by half from minute
        // to minute, so each run's rate is set beside the bound of its own moment (fraction_of_bound, median over repeats).
        var repeatsRun = Enumerable.Range(0, decodeRepeats).Select(_ =>
        {
            double gbps = MemoryBandwidth.MeasureGBps((long)(bandwidthGb * 1e9), repetitions: 3);
            var (prefill, decode, decodeCpu, generated) = Measure(loaded, request);
            return (Gbps: gbps, Prefill: prefill, Decode: decode, DecodeCpu: decodeCpu, Tps: (generated - batch) / decode, Tokens: generated - batch);
        }).ToList();
        var median = repeatsRun.OrderBy(r => r.Tps).ElementAt(repeatsRun.Count / 2);
        double tps = median.Tps;
        double fraction = repeatsRun.Select(r => r.Tps / (r.Gbps * 1e9 / tokenBytes)).Order().ElementAt(repeatsRun.Count / 2);
        Console.Error.WriteLine($"{dtype} fast_path {fast} batch_invariant {invariant} batch {batch} kv_cache {cached}: prefill {median.Prefill * 1000:F0} ms, decode {tps:F1} tok/s aggregate ({tps / batch:F1} per sequence), {median.Tokens / median.DecodeCpu:F1} tokens per CPU second; bound {median.Gbps * 1e9 / tokenBytes:F1}, {fraction:P0} of it");
        runs.Add(new JsonObject
        {
            ["dtype"] = dtype, ["fast_path"] = fast, ["batch_invariant"] = invariant, ["weight_bytes_per_token"] = (long)tokenBytes,
            ["bandwidth_bound_tokens_per_second"] = Math.Round(median.Gbps * 1e9 / tokenBytes, 1),
            ["batch"] = batch, ["kv_cache"] = cached, ["prompt_tokens"] = promptTokens, ["new_tokens"] = newTokens,
            ["prefill_seconds"] = Math.Round(median.Prefill, 4), ["decode_seconds"] = Math.Round(median.Decode, 4),
            ["decode_tokens_per_second"] = Math.Round(tps, 2), ["per_sequence_tokens_per_second"] = Math.Round(tps / batch, 2),
            // Process CPU time (all threads) while decoding: on a shared machine, tokens per CPU second varies less than per wall second.
            ["decode_cpu_seconds"] = Math.Round(median.DecodeCpu, 4), ["tokens_per_cpu_second"] = Math.Round(median.Tokens / median.DecodeCpu, 2),
            ["memory_read_gbps"] = Math.Round(median.Gbps, 2), ["fraction_of_bound"] = Math.Round(fraction, 3),
            ["repeats"] = new JsonArray(repeatsRun.Select(r => (JsonNode)new JsonObject { ["decode_tokens_per_second"] = Math.Round(r.Tps, 2), ["memory_read_gbps"] = Math.Round(r.Gbps, 2) }).ToArray()),
        });
    }
}

var result = new JsonObject
{
    ["benchmark"] = "cpu decode, greedy", ["model"] = Opt("model", "") == "" ? $"random {shape.Name}-shaped checkpoint" : dir, ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd"),
    ["cpu"] = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':')[1].Trim() : null,
    ["cores"] = Environment.ProcessorCount, ["torch_threads"] = TorchSharp.torch.get_num_threads(),
    ["memory_read_gbps"] = Math.Round(bandwidth, 2),
    ["runs"] = runs,
    ["reference_transformers_4_42_4"] = new JsonObject { ["batch1_tokens_per_second"] = 12.2, ["batch8_tokens_per_second"] = 69.5, ["note"] = "quoted from the issue, measured on this machine kind, not by this script" },
    ["command"] = "dotnet run -c Release --project bench/GenCluster.Bench.Runtime -- " + string.Join(' ', args),
};
var json = result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
if (outPath != "")
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
    File.WriteAllText(outPath, json + "\n");
}
Console.WriteLine(json);

static (double Prefill, double Decode, double DecodeCpu, int Generated) Measure(LoadedModel loaded, GenerationRequest request)
{
    using var session = new GenerationSession(loaded.Model, request);
    var clock = Stopwatch.StartNew();
    session.Step();
    double prefill = clock.Elapsed.TotalSeconds;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    while (!session.IsFinished) session.Step();
    double decodeCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    return (prefill, clock.Elapsed.TotalSeconds - prefill, decodeCpu, session.Stats.GeneratedTokens);
}

// Weights read per decoded token: every linear layer once (a tied embedding counts once, as the LM head).
static long WeightElements(LoadedModel m)
{
    var c = m.Config;
    long attention = (long)c.HiddenSize * (c.NumHeads + 2 * c.NumKvHeads) * c.HeadDim + (long)c.NumHeads * c.HeadDim * c.HiddenSize;
    return (long)c.VocabSize * c.HiddenSize + c.NumLayers * (attention + 3L * c.HiddenSize * c.IntermediateSize);
}
