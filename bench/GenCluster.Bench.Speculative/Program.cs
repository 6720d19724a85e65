// Tokens/s and target forwards per generated token of autoregressive, speculative (K = 2, 4, 8), prompt-lookup and
// Medusa decoding, greedy and T = 0.7, on one target (+ draft + Medusa heads).
// Usage: dotnet run -c Release --project bench/GenCluster.Bench.Speculative -- [--target DIR] [--draft DIR] [--heads DIR]
//        [--draft-dtype auto|float32|bfloat16|int8] [--prompt TEXT | --prompt-ids 1,2,3] [--max-new-tokens 128] [--repeats 3] [--medusa-nodes 4,8,16]
//        [--output bench/speculative/results.json]
// Defaults: models/default, models/default-draft, models/default-medusa of the repository.
using System.Diagnostics;
using System.Text.Json;
using GenCluster.Decoding;
using GenCluster.Decoding.Medusa;
using GenCluster.Decoding.Speculative;
using GenCluster.Models;
using GenCluster.Models.Medusa;
using GenCluster.Models.Text;
using GenCluster.Sampling;

var flags = new BenchOptions(args);
var root = RepoRoot();
string Dir(string flag, string name) => flags.Find(flag[2..]) ?? Path.Combine(root, "models", name);
var targetDir = Dir("--target", "default");
var draftDir = Dir("--draft", "default-draft");
var headsDir = Dir("--heads", "default-medusa");
if (!Directory.Exists(targetDir))
{
    Console.Error.WriteLine($"target model not found: {targetDir}; pass --target/--draft/--heads (e.g. the fixture models llama-tiny, llama-tiny-draft, llama-tiny-medusa)");
    return 2;
}
int maxNew = int.Parse(flags.Get("max-new-tokens", "128"));
int repeats = int.Parse(flags.Get("repeats", "3"));
var output = flags.Get("output", Path.Combine(root, "bench", "speculative", "results.json"));

using var target = ModelLoader.Load(targetDir);
// --draft-dtype int8: e.g. the target's own checkpoint quantized as its draft (self-speculation on a memory-bound target).
using var draft = Directory.Exists(draftDir) ? ModelLoader.Load(draftDir, new LoadOptions { Dtype = flags.Get("draft-dtype", "auto") }) : null;
using var heads = Directory.Exists(headsDir) ? MedusaHeads.Load(headsDir) : null;
var prompt = Prompt(flags, targetDir);
Console.WriteLine($"target {targetDir}, draft {(draft is null ? "none" : draftDir)}, heads {(heads is null ? "none" : headsDir)}, prompt {prompt.Length} tokens, {maxNew} new tokens, {Environment.ProcessorCount} cores");

// The target as the single-model methods see it, timing its forwards: a row then splits into forward time and the
// rest of a round (heads, acceptance, cache compaction), which is what bounds Medusa here (README).
var timed = new TimedModel(target.Model);
var methods = new List<(string Name, Func<GenerationRequest, IGenerationRun> Create)>
{
    ("autoregressive", r => new GenerationSession(timed, r)),
};
if (draft is not null)
    foreach (var k in new[] { 2, 4, 8 }) methods.Add(($"speculative K={k}", r => SpeculativeDecoder.WithDraft(target, draft, r, k)));
methods.Add(("prompt_lookup K=4", r => SpeculativeDecoder.WithPromptLookup(timed, r, 4)));
if (heads is not null)
{
    methods.Add(("medusa", r => new MedusaDecoder(timed, heads, r)));
    // --medusa-nodes 4,8,16: greedy Medusa with sparse trees of these sizes too (what a tree costs on this device).
    foreach (var nodes in (flags.Find("medusa-nodes") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse))
        methods.Add(($"medusa nodes={nodes}", r => new MedusaDecoder(timed, heads, r, new MedusaOptions { Tree = MedusaTree.Sparse(heads.Config.NumHeads, nodes) })));
    methods.Add(("medusa typical", r => new MedusaDecoder(timed, heads, r, new MedusaOptions { Acceptance = MedusaAcceptance.Typical })));
}

var loadBefore = LoadAverage();
var results = new List<object>();
foreach (var (mode, sampling) in new[] { ("greedy", new SamplingParams { MaxNewTokens = maxNew }), ("T=0.7", new SamplingParams { DoSample = true, Temperature = 0.7, MaxNewTokens = maxNew, Seed = 7 }) })
{
    double baseline = 0;
    IReadOnlyList<long>? reference = null;
    foreach (var (name, create) in methods)
    {
        if (name == "medusa typical" && mode == "greedy" || name.StartsWith("medusa nodes=") && mode != "greedy") continue;
        var request = new GenerationRequest { Prompts = [prompt], Sampling = sampling, EosTokenIds = [] };
        Run(create, request, timed); // warm-up
        var runs = Enumerable.Range(0, repeats).Select(_ => Run(create, request, timed)).OrderBy(x => x.Seconds).ToList();
        var median = runs[runs.Count / 2];
        double tps = median.Tokens / median.Seconds;
        if (name == "autoregressive") (baseline, reference) = (tps, median.Generated);
        bool? exact = mode == "greedy" ? median.Generated.SequenceEqual(reference!) : null;
        results.Add(new
        {
            mode, method = name, tokens = median.Tokens, seconds = Math.Round(median.Seconds, 4), tokens_per_second = Math.Round(tps, 2),
            speedup = Math.Round(tps / baseline, 3), target_forwards_per_token = Math.Round((double)median.Forwards / median.Tokens, 4),
            acceptance_rate = median.Stats is { } s ? Math.Round(s.AcceptanceRate, 4) : (double?)null,
            mean_accepted_length = median.Stats is { } m ? Math.Round(m.MeanAcceptedLength, 4) : (double?)null,
            same_tokens_as_autoregressive = exact,
            // Only for the methods that run on the timed target (not the draft-model rows): mean ms per target forward and
            // the rest of the run per forward (a round's heads, acceptance and cache bookkeeping; the sampling of a plain step).
            target_forward_ms = median.TimedCalls > 0 ? Math.Round(median.TimedSeconds * 1e3 / median.TimedCalls, 3) : (double?)null,
            other_ms_per_forward = median.TimedCalls > 0 ? Math.Round((median.Seconds - median.TimedSeconds) * 1e3 / median.TimedCalls, 3) : (double?)null,
        });
        Console.WriteLine($"{mode,-6} {name,-18} {tps,9:F1} tok/s  x{tps / baseline,5:F2}  {(double)median.Forwards / median.Tokens,6:F3} target fwd/token  acc {median.Stats?.AcceptanceRate,6:P0}  exact {exact}");
    }
}

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, JsonSerializer.Serialize(new
{
    target = Path.GetFileName(Path.TrimEndingDirectorySeparator(targetDir)), draft = draft is null ? null : Path.GetFileName(draftDir), heads = heads is null ? null : Path.GetFileName(headsDir),
    prompt_tokens = prompt.Length, max_new_tokens = maxNew, repeats, cores = Environment.ProcessorCount, date = DateTime.UtcNow.ToString("yyyy-MM-dd"),
    load_average = new { before = loadBefore, after = LoadAverage() }, results,
}, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"wrote {output}");
return 0;

static (int Tokens, int Forwards, double Seconds, IReadOnlyList<long> Generated, SpeculativeStats? Stats, int TimedCalls, double TimedSeconds) Run(
    Func<GenerationRequest, IGenerationRun> create, GenerationRequest request, TimedModel timed)
{
    using var run = create(request);
    timed.Reset();
    var clock = Stopwatch.StartNew();
    while (!run.IsFinished) run.Step();
    var seconds = clock.Elapsed.TotalSeconds;
    return (run.Generated(0).Count, run.Stats.ForwardPasses, seconds, run.Generated(0).ToArray(), (run as SingleSequenceRun)?.SpeculativeStats, timed.Calls, timed.Seconds);
}

static long[] Prompt(BenchOptions flags, string targetDir)
{
    if (flags.Find("prompt-ids") is { } ids) return ids.Split(',').Select(long.Parse).ToArray();
    var text = flags.Get("prompt", "And God said, Let there be light: and there was light. And God saw the light, that it was good:");
    if (!File.Exists(Path.Combine(targetDir, "tokenizer.json"))) return [1, 5, 9, 5, 9, 12, 40];
    return HfTokenizer.Load(targetDir).Encode(text).Select(id => (long)id).ToArray();
}

// The 1-minute load average (Linux): on a shared machine the numbers mean little above the core count.
static double? LoadAverage() =>
    File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var load) ? load : null;

static string RepoRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir != null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln"))) return dir.FullName;
    return Directory.GetCurrentDirectory();
}
