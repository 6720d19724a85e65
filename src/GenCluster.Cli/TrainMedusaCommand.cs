using System.CommandLine;
using GenCluster.Training.Medusa;

namespace GenCluster.Cli;

/// <summary>`gencluster train medusa`: Medusa-1 heads for a frozen model, written in vLLM's Medusa format.</summary>
internal static class TrainMedusaCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = CliOption.Create<string?>("--model", "frozen base model folder (default: the shipped models/default)");
        var data = CliOption.Create<string>("--data", "training text (tokenized with the model's tokenizer) or token ids") ;
        data.Required = true;
        var output = CliOption.Create<string?>("--output", "heads folder to write (default: <model>-medusa)");
        var heads = CliOption.Create<int>("--num-heads", "Medusa heads").WithDefault(4);
        var layers = CliOption.Create<int>("--num-layers", "residual blocks per head").WithDefault(1);
        var steps = CliOption.Create<int>("--steps", "optimizer steps").WithDefault(200);
        var batch = CliOption.Create<int>("--batch-size", "windows per step").WithDefault(8);
        var length = CliOption.Create<int>("--seq-len", "tokens per window").WithDefault(128);
        var lr = CliOption.Create<double>("--lr", "AdamW learning rate").WithDefault(1e-3);
        var seed = CliOption.Create<int>("--seed", "window sampling seed").WithDefault(1234);
        var shared = CliOption.Create<bool>("--shared-lm-head", "every head uses the model's own LM head, frozen (vLLM original_lm_head): smaller heads, one LM-head pass per round");
        var distill = CliOption.Create<int>("--self-distill", "learn from this many windows the model writes itself from prompts cut from --data (Medusa's self-distillation), not from the data");
        var distillPrompt = CliOption.Create<int>("--distill-prompt-tokens", "data tokens that start each self-distilled window").WithDefault(8);
        var distillTemperature = CliOption.Create<double>("--distill-temperature", "sampling temperature of the self-distilled continuations (0: greedy)").WithDefault(0);
        var command = new Command("medusa", "train Medusa heads on a frozen model (Medusa-1)")
        {
            model, data, output, heads, layers, steps, batch, length, lr, seed, shared, distill, distillPrompt, distillTemperature,
        };
        command.SetAction(async (r, cancellation) =>
        {
            var modelDir = ModelLocator.Resolve(r.GetValue(model));
            var options = new MedusaTrainingOptions
            {
                ModelDir = modelDir, DataFile = r.GetValue(data)!,
                OutputDir = r.GetValue(output) ?? ModelLocator.CompanionPath(modelDir, "medusa"),
                NumHeads = r.GetValue(heads), NumLayers = r.GetValue(layers), Steps = r.GetValue(steps), BatchSize = r.GetValue(batch),
                SequenceLength = r.GetValue(length), LearningRate = r.GetValue(lr), Seed = r.GetValue(seed), SharedLmHead = r.GetValue(shared),
                SelfDistillWindows = r.GetValue(distill), DistillPromptTokens = r.GetValue(distillPrompt), DistillTemperature = r.GetValue(distillTemperature),
            };
            var progress = new Progress<MedusaTrainingProgress>(p => stderr.WriteLine(
                $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} head accuracy {string.Join(" ", p.HeadAccuracies.Select(a => a.ToString("F3")))}"));
            var last = await Task.Run(() => MedusaTrainer.Run(options, progress), cancellation);
            await stdout.WriteLineAsync($"wrote {options.NumHeads} Medusa heads to {options.OutputDir} (final loss {last.Loss:F4})");
            return 0;
        });
        return command;
    }
}
