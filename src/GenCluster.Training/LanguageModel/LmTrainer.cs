using System.Diagnostics;
using GenCluster.Training.Modeling;
using GenCluster.Training.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenCluster.Training.LanguageModel;

/// <summary>The outcome of a training run (or of an export): size, steps done, validation loss of the final weights.</summary>
public sealed record LmTrainingResult(long ParameterCount, int Steps, double ValidationLoss, string? ExportDir, bool Completed = true)
{
    /// <summary>exp(validation loss).</summary>
    public double ValidationPerplexity => Math.Exp(ValidationLoss);
}

/// <summary>`gencluster train lm`: next-token training of a Llama-architecture model with AdamW, warmup + cosine, clipping, checkpoints and resume.</summary>
public static class LmTrainer
{
    /// <summary>Trains (resuming RunDir's checkpoint if any) to <see cref="LmTrainingOptions.Steps"/>, then exports to OutDir when set.</summary>
    /// <remarks>Cancellation stops after the current step and saves a checkpoint (no export); running again resumes.</remarks>
    public static LmTrainingResult Run(LmTrainingOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        torch.set_num_threads(options.Threads);
        torch.manual_seed(options.Seed);
        Directory.CreateDirectory(options.RunDir);
        var (encoder, train, valid) = LoadData(options);
        // Its own generator: the same seed gives the same initial weights even while other threads draw from torch's.
        using var generator = new Generator((ulong)options.Seed);
        var shape = options.Shape(encoder.VocabSize);
        if (options.GrowFrom is { } smaller) shape = ModelGrowth.Shape(shape, smaller);
        var model = new LlamaCausalLm(shape, generator);
        var optimizer = torch.optim.AdamW(model.parameters(), options.LearningRate, 0.9, 0.95, 1e-8, options.WeightDecay);
        var state = TrainingCheckpoint.TryLoad(options.RunDir, model, optimizer);
        if (state is null && options.GrowFrom is not null) ModelGrowth.Grow(model, options.GrowFrom);
        state ??= new CheckpointState(0, 0, null, model.Shape);

        var clock = Stopwatch.StartNew();
        var (startStep, tokensPerStep) = (state.Step, options.BatchSize * options.Context);
        var step = state.Step;
        double? validation = state.LastValidationLoss;
        model.train();
        var budget = options.TimeBudgetMinutes * 60;
        double Elapsed() => state.ElapsedSeconds + clock.Elapsed.TotalSeconds;
        double Progress() => LearningRateSchedule.Progress(step, options.Steps, options.WarmupSteps, Elapsed(), budget);
        var finished = step >= options.Steps;
        while (!finished && !cancellation.IsCancellationRequested)
        {
            using var scope = NewDisposeScope();
            var lr = LearningRateSchedule.At(step, options.WarmupSteps, Progress(), options.LearningRate, options.MinLearningRate);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
            // Seeding by step makes the data order a function of the step, so a resumed run sees the same batches.
            var (inputs, targets) = train.Sample(new Random(unchecked(options.Seed * 1_000_003 + step)), options.BatchSize, options.Context);
            var loss = Loss(model, inputs, targets);
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), options.ClipNorm);
            optimizer.step();
            step++;
            finished = step >= options.Steps || (step > options.WarmupSteps && Progress() >= 1);

            if (step % options.LogEvery == 0 || finished)
            {
                var perSecond = (step - startStep) * tokensPerStep / clock.Elapsed.TotalSeconds;
                var etaSeconds = (options.Steps - step) * tokensPerStep / perSecond;
                if (budget is { } b) etaSeconds = Math.Min(etaSeconds, Math.Max(0, b - Elapsed()));
                progress?.Report(new TrainingProgress(step, options.Steps, loss.item<float>(), lr, perSecond, TimeSpan.FromSeconds(etaSeconds)));
            }
            if (step % options.EvalEvery == 0 || finished)
            {
                validation = Evaluate(model, valid, options.Context, options.BatchSize);
                progress?.Report(new TrainingProgress(step, options.Steps, double.NaN, lr, 0, TimeSpan.Zero, validation));
            }
            if (step % options.CheckpointEvery == 0 || finished)
                TrainingCheckpoint.Save(options.RunDir, model, optimizer, new CheckpointState(step, Elapsed(), validation, model.Shape));
        }
        if (!finished)
        {
            TrainingCheckpoint.Save(options.RunDir, model, optimizer, new CheckpointState(step, Elapsed(), validation, model.Shape));
            return new LmTrainingResult(model.ParameterCount, step, validation ?? double.NaN, null, Completed: false);
        }
        return options.OutDir is null
            ? new LmTrainingResult(model.ParameterCount, step, validation ?? Evaluate(model, valid, options.Context, options.BatchSize), null)
            : Export(model, valid, options, step);
    }

    /// <summary>Exports the run's latest checkpoint to OutDir (rounded to the export dtype) and measures its validation loss.</summary>
    public static LmTrainingResult Export(LmTrainingOptions options)
    {
        if (options.OutDir is null) throw new ArgumentException("export needs an output folder (--out)");
        torch.set_num_threads(options.Threads);
        var (encoder, _, valid) = LoadData(options, withTrain: false);
        var model = new LlamaCausalLm(options.Shape(encoder.VocabSize));
        var state = TrainingCheckpoint.TryLoad(options.RunDir, model, null)
            ?? throw new FileNotFoundException($"no checkpoint in {options.RunDir}; train first");
        return Export(model, valid, options, state.Step);
    }

    /// <summary>Mean next-token cross-entropy over the corpus' validation windows.</summary>
    public static double Evaluate(LlamaCausalLm model, TokenCorpus corpus, int context, int batchSize)
    {
        model.eval();
        using var noGrad = no_grad();
        var starts = corpus.ValidationStarts(context);
        double total = 0;
        foreach (var chunk in starts.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var (inputs, targets) = corpus.Windows(chunk, context);
            total += Loss(model, inputs, targets).item<float>() * chunk.Length;
        }
        model.train();
        return total / starts.Count;
    }

    static Tensor Loss(LlamaCausalLm model, Tensor inputs, Tensor targets)
    {
        var logits = model.forward(inputs);
        return nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), targets.view(-1));
    }

    static LmTrainingResult Export(LlamaCausalLm model, TokenCorpus valid, LmTrainingOptions options, int step)
    {
        var dtype = HfExport.ParseDtype(options.ExportDtype);
        using (no_grad())
            foreach (var p in model.parameters()) p.copy_(p.to_type(dtype).to_type(ScalarType.Float32));
        HfExport.Write(model, options.TokenizerDir, options.OutDir!, dtype);
        return new LmTrainingResult(model.ParameterCount, step, Evaluate(model, valid, options.Context, options.BatchSize), options.OutDir);
    }

    static (BpeEncoder Encoder, TokenCorpus Train, TokenCorpus Valid) LoadData(LmTrainingOptions options, bool withTrain = true)
    {
        var encoder = new BpeEncoder(BpeVocabulary.Load(Path.Combine(options.TokenizerDir, "tokenizer.json")));
        var valid = TokenCorpus.Encode(encoder, Path.Combine(options.DataDir, "valid.txt"));
        var train = withTrain ? TokenCorpus.Encode(encoder, Path.Combine(options.DataDir, "train.txt")) : valid;
        return (encoder, train, valid);
    }
}
