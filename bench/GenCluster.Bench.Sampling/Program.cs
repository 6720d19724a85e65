// Processor-chain cost per decode step on CPU: each processor alone and the full chains, vocab 32000 and 151936,
// batch 1 and 32, plus the seeded sampler and a SmolLM2-135M-shaped decode-step proxy for scale.
// Usage: dotnet run -c Release --project bench/GenCluster.Bench.Sampling [-- --out bench/sampling/results.json]
using System.Text.Json;
using GenCluster.Bench.Sampling;
using GenCluster.Sampling;
using GenCluster.Sampling.Samplers;
using TorchSharp;
using static TorchSharp.torch;

var outPath = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine("bench", "sampling", "results.json");
const int PromptLength = 96, Generated = 32;
manual_seed(777);
// One intra-op thread: the machine is shared, so CPU time (see ProcessCpuClock) is the stable measure.
set_num_threads(1);
var rows = new List<Result>();

// 49152 is SmolLM2's vocabulary, for the "chain under 10% of a decode step" target.
foreach (var (vocab, batch) in new[] { (32000, 1), (32000, 32), (49152, 1), (151936, 1), (151936, 32) })
{
    using var logits = randn(batch, vocab).mul_(3);
    using var ids = randint(0, vocab, [batch, PromptLength + Generated]);
    foreach (var (name, p) in BenchCases.All)
    {
        var chain = LogitsPipeline.Build(p, PromptLength, [2]);
        var (cpu, wall, runs) = StepTimer.Median(() => { using var _ = chain.Process(ids, logits); });
        rows.Add(Row(vocab, batch, name, cpu, wall, runs));
    }
    var seeds = Enumerable.Range(0, batch).Select(i => (ulong)i).ToArray();
    var steps = new long[batch];
    var (sampleCpu, sampleWall, sampleRuns) = StepTimer.Median(() => TokenSampler.Sample(logits, logits, seeds, steps, topLogprobs: 5));
    rows.Add(Row(vocab, batch, "sampler(multinomial,top_logprobs=5)", sampleCpu, sampleWall, sampleRuns));
}

using var proxy = new DecodeStepProxy();
var (decodeCpu, decodeWall, decodeRuns) = StepTimer.Median(proxy.Step, budgetSeconds: 2);
Console.WriteLine($"decode-step proxy (SmolLM2-135M shape, {proxy.Parameters / 1e6:F0}M params, batch 1): cpu {decodeCpu:F3} ms, wall {decodeWall:F3} ms ({decodeRuns} runs)");
var chainShare = rows.Where(r => r.vocab == 49152 && r.batch == 1 && r.stage.StartsWith("default_chain"))
    .Select(r => Math.Round(r.cpu_ms / decodeCpu, 4)).FirstOrDefault();

var result = new
{
    comment = "Medians per step of LogitsPipeline.Build(p).Process(ids, logits) on CPU, one torch thread: cpu_ms = CPU time of "
        + "the process (stable on a shared machine), wall_ms = elapsed. logits N(0, 3), ids of 128 tokens (prompt 96). "
        + "decode_step_proxy: batch-1 matrix-vector products over the weights of a SmolLM2-135M-shaped model (a lower bound "
        + "of its decode step). Command: dotnet run -c Release --project bench/GenCluster.Bench.Sampling",
    machine = new
    {
        Environment.ProcessorCount, torch_threads = get_num_threads(), os = Environment.OSVersion.VersionString,
        dotnet = Environment.Version.ToString(), load_average = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "",
    },
    decode_step_proxy_cpu_ms = Math.Round(decodeCpu, 3),
    decode_step_proxy_wall_ms = Math.Round(decodeWall, 3),
    default_chain_share_of_decode_step_vocab49152_batch1 = chainShare,
    decode_step_proxy_params = proxy.Parameters,
    results = rows,
};
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
File.WriteAllText(outPath, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"wrote {outPath}");

static Result Row(int vocab, int batch, string stage, double cpu, double wall, int runs)
{
    Console.WriteLine($"vocab {vocab,6} batch {batch,2}  {stage,-36} cpu {cpu,9:F3} ms  wall {wall,9:F3} ms  ({runs} runs)");
    return new Result(vocab, batch, stage, Math.Round(cpu, 3), Math.Round(wall, 3), runs);
}

/// <summary>One timed stage (snake_case names are the JSON keys).</summary>
record Result(int vocab, int batch, string stage, double cpu_ms, double wall_ms, int runs);
