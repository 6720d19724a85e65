using System.Globalization;
using GenCluster.Training.Evaluation;
using GenCluster.Training.LanguageModel;
using GenCluster.Training.Tokenization;

// Usage (mirrors `gencluster train ...`):
//   train tokenizer --data corpus/kjv --out DIR [--vocab 4096]
//   train lm --data corpus/kjv --tokenizer DIR --run-dir DIR [--out DIR] --steps N [--hidden 256 --layers 6 ...]
//   train acceptance --target DIR --draft DIR --data corpus/kjv [--k 4 --prompts 20 --new-tokens 48]
//   train export --data corpus/kjv --tokenizer DIR --run-dir DIR --out DIR [same shape options as the run]
if (args.Length < 2 || args[0] != "train")
{
    Console.Error.WriteLine("usage: train tokenizer|lm|export --option value ...");
    return 2;
}
var options = ParseOptions(args[2..]);
string Get(string key) => options.TryGetValue(key, out var v) ? v : throw new ArgumentException($"--{key} is required");
int Int(string key, int fallback) => options.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
double Real(string key, double fallback) => options.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

switch (args[1])
{
    case "tokenizer":
        var data = Get("data");
        var vocabulary = BpeTrainer.Train([Path.Combine(data, "train.txt")], Get("out"), Int("vocab", 4096), Int("context", 256));
        Console.Error.WriteLine($"wrote {vocabulary.Count} tokens ({vocabulary.Merges.Count} merges) to {Get("out")}");
        return 0;
    case "lm" or "export":
        var d = new LmTrainingOptions("", "", "", null, 0);
        var lm = new LmTrainingOptions(Get("data"), Get("tokenizer"), Get("run-dir"), options.GetValueOrDefault("out"), Int("steps", 1000),
            Int("hidden", d.HiddenSize), Int("intermediate", d.IntermediateSize), Int("layers", d.Layers), Int("heads", d.Heads),
            Int("kv-heads", d.KvHeads), Int("context", d.Context), !options.ContainsKey("untied"), Int("batch", d.BatchSize),
            Real("lr", d.LearningRate), Real("min-lr", d.MinLearningRate), Int("warmup", d.WarmupSteps), Real("weight-decay", d.WeightDecay),
            Real("clip", d.ClipNorm), Int("checkpoint-every", d.CheckpointEvery), Int("eval-every", d.EvalEvery), Int("log-every", d.LogEvery),
            Int("seed", d.Seed), Int("threads", d.Threads), options.GetValueOrDefault("dtype") ?? d.ExportDtype,
            options.ContainsKey("minutes") ? Real("minutes", 0) : null);
        var result = args[1] == "lm" ? LmTrainer.Run(lm, new SynchronousProgress(p => Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {p}"))) : LmTrainer.Export(lm);
        Console.Error.WriteLine($"parameters {result.ParameterCount}  steps {result.Steps}  validation loss {result.ValidationLoss:F4}  perplexity {result.ValidationPerplexity:F2}"
            + (result.ExportDir is null ? "" : $"  exported to {result.ExportDir}"));
        return 0;
    case "acceptance":
        var a = DraftAcceptance.Measure(Get("target"), Get("draft"), Path.Combine(Get("data"), "valid.txt"),
            Int("prompts", 20), Int("prompt-tokens", 8), Int("new-tokens", 48), Int("k", 4));
        Console.WriteLine($"greedy K={Int("k", 4)}: acceptance {a.Rate:F3} ({a.Accepted}/{a.Proposed}), {a.TokensPerRound:F2} tokens per target pass over {a.Rounds} rounds");
        return 0;
    default:
        Console.Error.WriteLine($"unknown command 'train {args[1]}': use tokenizer, lm, export or acceptance");
        return 2;
}

static Dictionary<string, string> ParseOptions(string[] args)
{
    var options = new Dictionary<string, string>();
    for (var i = 0; i < args.Length; i++)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"expected --option, got '{args[i]}'");
        var hasValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
        options[args[i][2..]] = hasValue ? args[++i] : "true";
    }
    return options;
}

/// <summary>Reports on the training thread, in order (Progress&lt;T&gt; would post to the thread pool).</summary>
sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
