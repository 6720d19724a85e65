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
var rows = new List<object>();

// 49152 is SmolLM2's vocabulary, for the "chain under 10% of a decode step" target.
foreach (var (vocab, batch) in new[] { (32000, 1), (32000, 32), (49152, 1), (151936, 1), (151936, 32) })
{
    using var logits = randn(batch, vocab).mul_(3);
    using var ids = randint(0, vocab, [batch, PromptLength + Generated]);
    foreach (var (name, p) in BenchCases.All)
    {
        var chain = LogitsPipeline.Build(p, PromptLength, [2]);
        var (ms, runs) = StepTimer.Median(() => { using var _ = chain.Process(ids, logits); });
        rows.Add(new { vocab, batch, stage = name, ms_per_step = Math.Round(ms, 3), runs });
        Console.WriteLine($"vocab {vocab,6} batch {batch,2}  {name,-32} {ms,9:F3} ms  ({runs} runs)");
    }
    var seeds = Enumerable.Range(0, batch).Select(i => (ulong)i).ToArray();
    var steps = new long[batch];
    var (sampleMs, sampleRuns) = StepTimer.Median(() => TokenSampler.Sample(logits, logits, seeds, steps, topLogprobs: 5));
    rows.Add(new { vocab, batch, stage = "sampler(multinomial,top_logprobs=5)", ms_per_step = Math.Round(sampleMs, 3), runs = sampleRuns });
    Console.WriteLine($"vocab {vocab,6} batch {batch,2}  {"sampler(multinomial,top5)",-32} {sampleMs,9:F3} ms  ({sampleRuns} runs)");
}

using var proxy = new DecodeStepProxy();
var (decodeMs, decodeRuns) = StepTimer.Median(proxy.Step, budgetSeconds: 2);
Console.WriteLine($"decode-step proxy (SmolLM2-135M shape, {proxy.Parameters / 1e6:F0}M params, batch 1): {decodeMs:F3} ms ({decodeRuns} runs)");

var result = new
{
    comment = "Median ms per step of LogitsPipeline.Build(p).Process(ids, logits) on CPU, logits N(0, 3), ids of 128 tokens "
        + "(prompt 96). decode_step_proxy_ms: batch-1 matrix-vector products over the weights of a SmolLM2-135M-shaped model "
        + "(a lower bound of its decode step). Command: dotnet run -c Release --project bench/GenCluster.Bench.Sampling",
    machine = new { Environment.ProcessorCount, torch_threads = get_num_threads(), os = Environment.OSVersion.VersionString, dotnet = Environment.Version.ToString() },
    decode_step_proxy_ms = Math.Round(decodeMs, 3),
    decode_step_proxy_params = proxy.Parameters,
    results = rows,
};
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
File.WriteAllText(outPath, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"wrote {outPath}");
