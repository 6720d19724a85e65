using System.CommandLine;
using GenCluster.Training.Evaluation;
using GenCluster.Training.LanguageModel;
using GenCluster.Training.Tokenization;

namespace GenCluster.Cli;

/// <summary>`gencluster train tokenizer|lm|acceptance` (and `medusa`, in its own file): GenCluster.Training from the command line.</summary>
internal static class TrainCommands
{
    public static Command Create(TextWriter stdout, TextWriter stderr) => new("train", "train tokenizers, language models and Medusa heads")
    {
        Tokenizer(stderr), LanguageModel(stderr), Acceptance(stdout), TrainMedusaCommand.Create(stdout, stderr),
    };

    static Command Tokenizer(TextWriter stderr)
    {
        var data = Required<string>("--data", "corpus folder with train.txt (scripts/make-corpus.sh)");
        var output = Required<string>("--out", "folder for tokenizer.json and tokenizer_config.json");
        var vocab = CliOption.Create<int>("--vocab", "vocabulary size including special tokens").WithDefault(4096);
        var context = CliOption.Create<int>("--context", "model_max_length written to tokenizer_config.json").WithDefault(256);
        var command = new Command("tokenizer", "train a byte-level BPE tokenizer (Hugging Face tokenizer.json)") { data, output, vocab, context };
        command.SetAction(async r =>
        {
            var train = Path.Combine(r.GetValue(data)!, "train.txt");
            if (!File.Exists(train)) throw new UsageException($"{train} not found: make the corpus with scripts/make-corpus.sh");
            var result = BpeTrainer.Train([train], r.GetValue(output)!, r.GetValue(vocab), r.GetValue(context));
            await stderr.WriteLineAsync($"wrote {result.Count} tokens ({result.Merges.Count} merges) to {r.GetValue(output)}");
            return 0;
        });
        return command;
    }

    static Command LanguageModel(TextWriter stderr)
    {
        var d = new LmTrainingOptions("", "", "", null, 0);
        var data = Required<string>("--data", "corpus folder with train.txt and valid.txt");
        var tokenizer = Required<string>("--tokenizer", "folder with tokenizer.json");
        var runDir = Required<string>("--run-dir", "checkpoints and logs (an existing checkpoint is resumed)");
        var output = CliOption.Create<string?>("--out", "Hugging Face folder to export at the end");
        var steps = CliOption.Create<int>("--steps", "optimizer steps").WithDefault(1000);
        var minutes = CliOption.Create<double?>("--minutes", "wall-clock budget; the cosine schedule follows it");
        var hidden = CliOption.Create<int>("--hidden", "hidden size").WithDefault(d.HiddenSize);
        var intermediate = CliOption.Create<int>("--intermediate", "MLP size").WithDefault(d.IntermediateSize);
        var layers = CliOption.Create<int>("--layers", "decoder layers").WithDefault(d.Layers);
        var heads = CliOption.Create<int>("--heads", "attention heads").WithDefault(d.Heads);
        var kvHeads = CliOption.Create<int>("--kv-heads", "key/value heads (GQA)").WithDefault(d.KvHeads);
        var context = CliOption.Create<int>("--context", "training window length").WithDefault(d.Context);
        var untied = CliOption.Create<bool>("--untied", "separate LM head instead of tied embeddings");
        var batch = CliOption.Create<int>("--batch", "windows per step").WithDefault(d.BatchSize);
        var lr = CliOption.Create<double>("--lr", "peak learning rate").WithDefault(d.LearningRate);
        var minLr = CliOption.Create<double>("--min-lr", "final learning rate of the cosine decay").WithDefault(d.MinLearningRate);
        var warmup = CliOption.Create<int>("--warmup", "linear warmup steps").WithDefault(d.WarmupSteps);
        var checkpointEvery = CliOption.Create<int>("--checkpoint-every", "steps between checkpoints").WithDefault(d.CheckpointEvery);
        var evalEvery = CliOption.Create<int>("--eval-every", "steps between validation runs").WithDefault(d.EvalEvery);
        var logEvery = CliOption.Create<int>("--log-every", "steps between progress lines").WithDefault(d.LogEvery);
        var weightDecay = CliOption.Create<double>("--weight-decay", "AdamW weight decay").WithDefault(d.WeightDecay);
        var clip = CliOption.Create<double>("--clip", "gradient-norm clipping").WithDefault(d.ClipNorm);
        var threads = CliOption.Create<int>("--threads", "torch threads").WithDefault(d.Threads);
        var dtype = CliOption.Create<string>("--dtype", "export dtype: f32|bf16").WithDefault(d.ExportDtype);
        var seed = CliOption.Create<int>("--seed", "data and init seed").WithDefault(d.Seed);
        var growFrom = CliOption.Create<string?>("--grow-from", "start from this smaller trained model folder, grown to the new shape with the same function");
        var command = new Command("lm", "train a Llama-architecture language model and export it in Hugging Face format")
        {
            data, tokenizer, runDir, output, steps, minutes, hidden, intermediate, layers, heads, kvHeads, context, untied, batch,
            lr, minLr, warmup, checkpointEvery, evalEvery, logEvery, weightDecay, clip, threads, dtype, seed, growFrom,
        };
        command.SetAction(async (r, cancellation) =>
        {
            var options = d with
            {
                DataDir = r.GetValue(data)!, TokenizerDir = r.GetValue(tokenizer)!, RunDir = r.GetValue(runDir)!, OutDir = r.GetValue(output),
                Steps = r.GetValue(steps), TimeBudgetMinutes = r.GetValue(minutes), HiddenSize = r.GetValue(hidden),
                IntermediateSize = r.GetValue(intermediate), Layers = r.GetValue(layers), Heads = r.GetValue(heads), KvHeads = r.GetValue(kvHeads),
                Context = r.GetValue(context), TieEmbeddings = !r.GetValue(untied), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr),
                MinLearningRate = r.GetValue(minLr), WarmupSteps = r.GetValue(warmup), CheckpointEvery = r.GetValue(checkpointEvery),
                EvalEvery = r.GetValue(evalEvery), LogEvery = r.GetValue(logEvery), WeightDecay = r.GetValue(weightDecay), ClipNorm = r.GetValue(clip), Threads = r.GetValue(threads), ExportDtype = r.GetValue(dtype)!, Seed = r.GetValue(seed),
                GrowFrom = r.GetValue(growFrom),
            };
            var progress = new LineProgress(stderr);
            var result = await Task.Run(() => LmTrainer.Run(options, progress, cancellation), cancellation);
            await stderr.WriteLineAsync($"parameters {result.ParameterCount}  steps {result.Steps}  validation loss {result.ValidationLoss:F4}  perplexity {result.ValidationPerplexity:F2}"
                + (result.ExportDir is null ? "" : $"  exported to {result.ExportDir}"));
            return 0;
        });
        return command;
    }

    static Command Acceptance(TextWriter stdout)
    {
        var target = Required<string>("--target", "target model folder");
        var draft = Required<string>("--draft", "draft model folder (same tokenizer)");
        var data = Required<string>("--data", "corpus folder with valid.txt");
        var k = CliOption.Create<int>("--k", "draft tokens per round").WithDefault(4);
        var prompts = CliOption.Create<int>("--prompts", "validation prompts").WithDefault(20);
        var newTokens = CliOption.Create<int>("--new-tokens", "tokens generated per prompt").WithDefault(48);
        var command = new Command("acceptance", "measure a draft's greedy acceptance rate against its target") { target, draft, data, k, prompts, newTokens };
        command.SetAction(async r =>
        {
            var a = DraftAcceptance.Measure(r.GetValue(target)!, r.GetValue(draft)!, Path.Combine(r.GetValue(data)!, "valid.txt"),
                r.GetValue(prompts), 8, r.GetValue(newTokens), r.GetValue(k));
            await stdout.WriteLineAsync($"greedy K={r.GetValue(k)}: acceptance {a.Rate:F3} ({a.Accepted}/{a.Proposed}), {a.TokensPerRound:F2} tokens per target pass over {a.Rounds} rounds");
            return 0;
        });
        return command;
    }

    static Option<T> Required<T>(string name, string description)
    {
        var option = CliOption.Create<T>(name, description);
        option.Required = true;
        return option;
    }

    /// <summary>Progress lines written on the training thread, in order (Progress&lt;T&gt; would post them to the thread pool).</summary>
    sealed class LineProgress(TextWriter stderr) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => stderr.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {value}");
    }
}
