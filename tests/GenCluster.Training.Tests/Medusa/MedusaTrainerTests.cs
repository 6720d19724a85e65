using GenCluster.Models;
using GenCluster.Models.Medusa;
using GenCluster.Models.Runtime;
using GenCluster.TestSupport;
using GenCluster.Training.Medusa;
using static TorchSharp.torch;

namespace GenCluster.Training.Tests.Medusa;

/// <summary>Medusa-1 training on llama-tiny: the loss falls and the written heads load back with the same outputs.</summary>
public sealed class MedusaTrainerTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("medusa-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // one frozen LM head, the model's own, shared by the heads (vLLM's original_lm_head)
    public void AFewStepsLowerTheLossAndTheWrittenHeadsLoadBackIdentical(bool sharedLmHead)
    {
        // A repeating random token pattern: heads can learn it from the hidden states in a few steps.
        var random = new Random(5);
        var pattern = Enumerable.Range(0, 40).Select(_ => random.Next(3, 512)).ToArray();
        var data = Path.Combine(_dir, "tokens.txt");
        File.WriteAllText(data, string.Join(" ", Enumerable.Range(0, 2000).Select(i => pattern[i % pattern.Length])));
        var options = new MedusaTrainingOptions
        {
            ModelDir = Fixtures.Model("llama-tiny"), DataFile = data, OutputDir = Path.Combine(_dir, "heads"),
            NumHeads = 2, Steps = 30, BatchSize = 4, SequenceLength = 32, LearningRate = 3e-3, LogEvery = 1, SharedLmHead = sharedLmHead,
        };
        var reports = new List<MedusaTrainingProgress>();
        var (trained, last) = MedusaTrainer.Train(options, new SynchronousProgress(reports.Add));
        using (trained)
        {
            Assert.Equal(30, reports.Count);
            Assert.True(last.Loss < reports[0].Loss * 0.8, $"loss {reports[0].Loss} -> {last.Loss}");
            trained.Save(options.OutputDir);
            using var heads = MedusaHeads.Load(options.OutputDir);
            Assert.Equal(new MedusaConfig(2, 1, 64, 512, OriginalLmHead: sharedLmHead), heads.Config);
            if (sharedLmHead)
            {
                using var checkpoint = GenCluster.Models.SafeTensors.Checkpoint.Open(Fixtures.Model("llama-tiny"));
                using var baseHead = checkpoint.Load(checkpoint.Contains("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight", [512, 64], ScalarType.Float32, CPU);
                Assert.True(baseHead.equal(heads.Named().Single(kv => kv.Key == MedusaHeads.SharedLmHeadName).Value).all().item<bool>(), "the shared LM head moved");
            }
            using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
            using var cache = loaded.Model.CreateCache(1);
            using var r = loaded.Model.Forward(ForwardRequest.Single(pattern.Take(10).Select(t => (long)t).ToArray(), OutputPositions.All) with { ReturnHidden = true }, cache);
            using var expected = trained.Forward(r.Hidden![0]);
            using var actual = heads.Forward(r.Hidden[0]);
            Assert.True(expected.equal(actual).all().item<bool>(), "reloaded heads differ from the trained ones");
        }
    }

    [Fact]
    public void SelfDistilledWindowsAreTheModelsOwnGreedyContinuationsOfDataPrompts()
    {
        var data = Enumerable.Range(0, 300).Select(i => (long)(3 + i * 7 % 500)).ToArray();
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var windows = SelfDistillation.Windows(loaded.Model, data, count: 10, promptTokens: 4, length: 16, temperature: 0, seed: 3);
        Assert.Equal(10 * 16, windows.Length);
        Assert.Equal(windows, SelfDistillation.Windows(loaded.Model, data, 10, 4, 16, 0, 3));
        for (int w = 0; w < 10; w++)
        {
            var window = windows.AsSpan(w * 16, 16).ToArray();
            // The prompt is a stretch of the data ...
            Assert.Contains(Enumerable.Range(0, data.Length - 3), s => data.AsSpan(s, 4).SequenceEqual(window.AsSpan(0, 4)));
            // ... and every later token is the model's argmax after the tokens before it, one sequence alone.
            using var cache = loaded.Model.CreateCache(1);
            using var result = loaded.Model.Forward(ForwardRequest.Single(window[..15], OutputPositions.All), cache);
            var greedy = result.Logits[0].argmax(-1).data<long>().ToArray();
            Assert.Equal(greedy[3..15], window[4..16]);
        }
        // A prompt as long as the window (the model's context can cut the window below --distill-prompt-tokens) is refused.
        Assert.Throws<ArgumentException>(() => SelfDistillation.Windows(loaded.Model, data, 10, 16, 16, 0, 3));
        var sampled = SelfDistillation.Windows(loaded.Model, data, 10, 4, 16, temperature: 1.5, seed: 3);
        Assert.NotEqual(windows, sampled);
        Assert.Equal(windows.Where((_, i) => i % 16 < 4), sampled.Where((_, i) => i % 16 < 4)); // same prompts
    }

    [Fact]
    public void SelfDistilledHeadsLearnTheModelsContinuations()
    {
        var data = Path.Combine(_dir, "tokens.txt");
        var random = new Random(8);
        File.WriteAllText(data, string.Join(" ", Enumerable.Range(0, 3000).Select(_ => random.Next(3, 512))));
        var options = new MedusaTrainingOptions
        {
            ModelDir = Fixtures.Model("llama-tiny"), DataFile = data, OutputDir = Path.Combine(_dir, "heads"), NumHeads = 2, Steps = 40,
            BatchSize = 4, SequenceLength = 24, LearningRate = 3e-3, LogEvery = 1, SharedLmHead = true, SelfDistillWindows = 16, DistillPromptTokens = 4,
        };
        var reports = new List<MedusaTrainingProgress>();
        var (trained, last) = MedusaTrainer.Train(options, new SynchronousProgress(reports.Add));
        trained.Dispose();
        // Random data gives heads nothing to learn; the model's own greedy text does.
        Assert.True(last.Loss < reports[0].Loss * 0.8, $"loss {reports[0].Loss} -> {last.Loss}");
        Assert.Throws<ArgumentException>(() => (options with { DistillPromptTokens = 24 }).Validate());
    }

    [Fact]
    public void TextDataWithoutATokenizerIsRefusedWithAClearMessage()
    {
        var data = Path.Combine(_dir, "text.txt");
        File.WriteAllText(data, "In the beginning");
        var e = Assert.Throws<ArgumentException>(() => MedusaTokenStream.Read(data, Fixtures.Model("llama-tiny"), 512));
        Assert.Contains("no tokenizer.json", e.Message);
    }

    sealed class SynchronousProgress(Action<MedusaTrainingProgress> report) : IProgress<MedusaTrainingProgress>
    {
        public void Report(MedusaTrainingProgress value) => report(value);
    }
}
