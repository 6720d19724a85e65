// JSON mask cost inside the real generation loop: per-step time of GenerationSession (KV cache, greedy) on a random
// Llama checkpoint with a 32k synthetic vocabulary, unconstrained vs under JSON constraints. The isolated mask cost
// per vocabulary size is bench/GenCluster.Bench.Json; this shows what it adds to a real decode step.
// Usage: dotnet run -c Release --project bench/GenCluster.Bench.JsonLoop -- [output.json]
using System.Diagnostics;
using System.Text.Json;
using GenCluster.Bench.Runtime;
using GenCluster.Decoding;
using GenCluster.Decoding.Json;
using GenCluster.Decoding.Tests.Json;
using GenCluster.Models;
using GenCluster.Sampling;

var output = args.Length > 0 ? args[0] : Path.Combine("bench", "json", "loop.json");
var shape = new LlamaShape("json-loop-32k", 32_000, 384, 6, 6, 2, 1024, true);
const int Tokens = 48, Repetitions = 3;
var dir = Path.Combine(Path.GetTempPath(), "gencluster-bench-json-loop");
if (!File.Exists(Path.Combine(dir, "model.safetensors"))) shape.Write(dir, seed: 7);
using var loaded = ModelLoader.Load(dir);
var texts = SyntheticVocabulary.Build(shape.Vocab);
var vocabulary = new TokenVocabulary(texts, [SyntheticVocabulary.Eos]);
var schemas = new (string Name, string? Schema)[]
{
    ("unconstrained", "-"),
    ("any JSON", null),
    ("nested object", """{"type":"object","properties":{"name":{"type":"string","maxLength":40},"age":{"type":"integer"},"tags":{"type":"array","items":{"enum":["a","b","c"]},"maxItems":4}},"required":["name","age","tags"]}"""),
};

var rows = new List<object>();
double baseline = 0;
foreach (var (name, schema) in schemas)
{
    var constraint = schema == "-" ? null : JsonConstraint.Compile(schema, vocabulary);
    double best = double.MaxValue;
    int generated = 0;
    for (int r = 0; r < Repetitions; r++)
    {
        var request = new GenerationRequest
        {
            Prompts = [[1, 5, 9, 13]], Sampling = new SamplingParams { MaxNewTokens = Tokens }, EosTokenIds = [SyntheticVocabulary.Eos],
            Constraint = constraint is null ? null : _ => new JsonTokenConstraint(constraint),
        };
        using var session = new GenerationSession(loaded.Model, request);
        session.Step(); // the prefill is not a decode step
        var clock = Stopwatch.StartNew();
        int steps = 0;
        while (!session.IsFinished) { session.Step(); steps++; }
        if (steps > 0) best = Math.Min(best, clock.Elapsed.TotalMilliseconds / steps);
        generated = session.Generated(0).Count;
    }
    if (constraint is null) baseline = best;
    rows.Add(new { schema = name, generated_tokens = generated, decode_step_ms = Math.Round(best, 3), overhead_vs_unconstrained = Math.Round(best / baseline - 1, 4) });
    Console.WriteLine($"{name,-16} {generated,3} tokens  {best,8:F3} ms/step  overhead {best / baseline - 1,7:P1}");
}

var report = new
{
    comment = "Decode-step time (fastest of the repetitions, prefill excluded) of GenerationSession with KV cache, greedy, on a random Llama checkpoint "
        + $"(vocab {shape.Vocab}, hidden {shape.Hidden}, {shape.Layers} layers) with the synthetic 32k vocabulary of the JSON tests; "
        + "overhead = constrained / unconstrained - 1 (mask computation, mask application and the automaton advance). The model is small, so the "
        + "ratio is an upper bound for larger models with the same vocabulary.",
    command = "dotnet run -c Release --project bench/GenCluster.Bench.JsonLoop",
    date = DateTime.UtcNow.ToString("u"),
    machine = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}",
    load_average = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown",
    repetitions = Repetitions,
    rows,
};
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"wrote {output}");
