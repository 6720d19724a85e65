using GenCluster.Models;
using GenCluster.Models.Medusa;
using GenCluster.Models.Runtime;
using GenCluster.Models.SafeTensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GenCluster.Training.Medusa;

/// <summary>
/// Medusa-1 training (Cai et al. 2024): the base model is frozen; for each window its final hidden states h_t are
/// computed once, and head k is trained with cross-entropy to predict token t + 2 + k from h_t; the loss is
/// sum_k decay^k CE_k, minimised with AdamW. Blocks start at zero (each head starts as the identity) and the heads'
/// LM heads start as copies of the base lm_head, as in the reference implementation.
/// </summary>
public static class MedusaTrainer
{
    /// <summary>Trains heads for <paramref name="options"/>.ModelDir and writes them to OutputDir; returns the last progress.</summary>
    public static MedusaTrainingProgress Run(MedusaTrainingOptions options, IProgress<MedusaTrainingProgress>? progress = null)
    {
        var (heads, last) = Train(options, progress);
        using (heads) heads.Save(options.OutputDir);
        return last;
    }

    /// <summary>Trains heads in memory (the caller disposes them) and returns them with the last progress.</summary>
    public static (MedusaHeads Heads, MedusaTrainingProgress Last) Train(MedusaTrainingOptions options, IProgress<MedusaTrainingProgress>? progress = null)
    {
        options.Validate();
        using var loaded = ModelLoader.Load(options.ModelDir, new LoadOptions { Dtype = "float32" });
        var model = loaded.Model;
        var tokens = MedusaTokenStream.Read(options.DataFile, options.ModelDir, model.Config.VocabSize);
        int length = Math.Min(options.SequenceLength, model.Config.MaxPositions);
        if (tokens.Length < length) throw new ArgumentException($"{options.DataFile} has {tokens.Length} tokens, fewer than one window of {length}");
        int stride = 1; // windows start anywhere in the data, or at the start of a self-distilled window
        if (options.SelfDistillWindows > 0)
        {
            tokens = SelfDistillation.Windows(model, tokens, options.SelfDistillWindows, options.DistillPromptTokens, length, options.DistillTemperature, options.Seed);
            stride = length;
        }
        var config = new MedusaConfig(options.NumHeads, options.NumLayers, model.Config.HiddenSize, model.Config.VocabSize, OriginalLmHead: options.SharedLmHead);
        var parameters = new List<Parameter>();
        var heads = InitialHeads(config, options.ModelDir, parameters);
        using var optimizer = optim.AdamW(parameters, options.LearningRate, 0.9, 0.999, 1e-8, options.WeightDecay);
        var random = new Random(options.Seed);
        MedusaTrainingProgress last = null!;
        for (int step = 1; step <= options.Steps; step++)
        {
            using var scope = NewDisposeScope();
            var (hidden, ids) = Batch(model, tokens, stride, random, options.BatchSize, length);
            var logits = heads.Forward(hidden); // [heads, B, T, V]
            var (loss, headLosses, accuracies) = Loss(logits, ids, options.HeadLossDecay);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            last = new MedusaTrainingProgress(step, options.Steps, loss.item<float>(), headLosses, accuracies);
            if (step % options.LogEvery == 0 || step == options.Steps) progress?.Report(last);
        }
        foreach (var p in parameters) p.requires_grad = false;
        return (heads, last);
    }

    /// <summary>Zero blocks (identity heads) and LM heads copied from the base lm_head, all trainable (or one frozen copy, shared).</summary>
    static MedusaHeads InitialHeads(MedusaConfig config, string modelDir, List<Parameter> parameters)
    {
        using var checkpoint = Checkpoint.Open(modelDir);
        var lmName = new[] { "lm_head.weight", "model.embed_tokens.weight", "transformer.wte.weight" }.First(checkpoint.Contains);
        using var baseHead = checkpoint.Load(lmName, [config.VocabSize, config.HiddenSize], ScalarType.Float32, CPU);
        Parameter Trainable(Tensor t)
        {
            var p = new Parameter(t, requires_grad: true);
            parameters.Add(p);
            return p;
        }
        int h = config.HiddenSize;
        var weights = Enumerable.Range(0, config.NumHeads).Select(_ => Enumerable.Range(0, config.NumLayers).Select(_ => (Tensor)Trainable(zeros(h, h))).ToArray()).ToArray();
        var biases = Enumerable.Range(0, config.NumHeads).Select(_ => Enumerable.Range(0, config.NumLayers).Select(_ => (Tensor?)Trainable(zeros(h))).ToArray()).ToArray();
        var lmHeads = config.OriginalLmHead ? [baseHead.clone()] : Enumerable.Range(0, config.NumHeads).Select(_ => (Tensor)Trainable(baseHead.clone())).ToArray();
        return new MedusaHeads(config, weights, biases, lmHeads);
    }

    /// <summary>Random windows (starting at multiples of <paramref name="stride"/>) and the frozen base's final hidden states [B, T, H] for them.</summary>
    static (Tensor Hidden, long[,] Ids) Batch(ICausalLM model, long[] tokens, int stride, Random random, int batch, int length)
    {
        var ids = new long[batch, length];
        for (int b = 0; b < batch; b++)
        {
            int start = random.Next((tokens.Length - length) / stride + 1) * stride;
            for (int t = 0; t < length; t++) ids[b, t] = tokens[start + t];
        }
        using var cache = model.CreateCache(batch, length);
        using var result = model.Forward(new ForwardRequest(ids) { Outputs = OutputPositions.All, ReturnHidden = true }, cache);
        return (result.Hidden!.detach().clone(), ids);
    }

    /// <summary>sum_k decay^k CE(head k logits at t, token t + 2 + k), with per-head losses and accuracies.</summary>
    static (Tensor Loss, double[] HeadLosses, double[] Accuracies) Loss(Tensor logits, long[,] ids, double decay)
    {
        int heads = (int)logits.shape[0], batch = ids.GetLength(0), length = ids.GetLength(1);
        var flat = new long[ids.Length];
        Buffer.BlockCopy(ids, 0, flat, 0, flat.Length * sizeof(long));
        var targets = tensor(flat, [batch, length]);
        Tensor total = zeros(1);
        // Each head's weight decay^k as a Scalar referenced until the loop ends (see HeldScalars).
        var weights = Enumerable.Range(0, heads).Select(k => Math.Pow(decay, k).ToScalar()).ToArray();
        var losses = new double[heads];
        var accuracies = new double[heads];
        for (int k = 0; k < heads; k++)
        {
            int span = length - 2 - k;
            var predicted = logits[k].narrow(1, 0, span).reshape(-1, logits.shape[3]);
            var expected = targets.narrow(1, 2 + k, span).reshape(-1);
            var ce = F.cross_entropy(predicted, expected);
            total = total.add(ce, weights[k]);
            losses[k] = ce.item<float>();
            accuracies[k] = predicted.argmax(-1).eq(expected).to(ScalarType.Float32).mean().item<float>();
        }
        GC.KeepAlive(weights);
        return (total.squeeze(), losses, accuracies);
    }
}
