using GenCluster.Models.Architectures;
using GenCluster.Models.Kernels;
using GenCluster.Models.Runtime;
using GenCluster.TestSupport;
using static TorchSharp.torch;

namespace GenCluster.Models.Tests;

/// <summary>
/// A multi-cache forward (several sessions' passes, each over its own KV cache) gives every pass the logits of running
/// it alone (within float rounding) and the same greedy tokens; on the Llama family's fused CPU pass it is one pass per
/// batch; it is all or nothing.
/// </summary>
public class CachedForwardTests
{
    static readonly long[][] Prompts = [[5, 17, 33, 2, 90, 101, 7, 64], [3, 8], [12, 40, 41, 9, 77]];

    static string ModelDir(string name) => name == "default" ? Path.Combine(Fixtures.RepoRoot, "models", "default") : Fixtures.Model(name);

    /// <summary>Last-position logits of every row of every result, in pass order.</summary>
    static List<float[]> LastLogits(IReadOnlyList<ForwardResult> results) =>
        results.SelectMany(r => Enumerable.Range(0, (int)r.Logits.shape[0]).Select(b => r.Logits[b, -1].data<float>().ToArray())).ToList();

    static long ArgMax(float[] logits) => Array.IndexOf(logits, logits.Max());

    /// <summary>
    /// Greedy decoding of every prompt in its own cache, each step as one multi-cache forward or as one forward per
    /// cache; after the prefill the second cache holds two sequences (N = 2), the second following the runner-up token.
    /// </summary>
    static List<float[]> Decode(ICausalLM model, bool batched, int steps, Func<int, ForwardRequest, ForwardRequest>? shape = null)
    {
        var caches = Prompts.Select(_ => model.CreateCache(1)).ToArray();
        try
        {
            var requests = Prompts.Select(p => ForwardRequest.Single(p)).ToArray();
            var trace = new List<float[]>();
            for (int step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                var passes = requests.Select((r, i) => new CachedForward(shape?.Invoke(step, r) ?? r, caches[i])).ToArray();
                var results = batched ? model.Forward(passes) : passes.Select(p => model.Forward(p.Request, p.Cache)).ToArray();
                var rows = LastLogits(results);
                foreach (var r in results) r.Dispose();
                trace.AddRange(rows);
                var next = rows.Select(ArgMax).ToArray();
                if (step == 0)
                {
                    caches[1].Reorder([0, 0]);
                    requests = [ForwardRequest.Step([next[0]]), ForwardRequest.Step([next[1], (next[1] + 1) % model.Config.VocabSize]), ForwardRequest.Step([next[2]])];
                }
                else requests = [ForwardRequest.Step([next[0]]), ForwardRequest.Step([next[1], next[2]]), ForwardRequest.Step([next[3]])];
            }
            return trace;
        }
        finally
        {
            foreach (var cache in caches) cache.Dispose();
        }
    }

    static void AssertSameDecoding(List<float[]> alone, List<float[]> batched)
    {
        Assert.Equal(alone.Count, batched.Count);
        for (int i = 0; i < alone.Count; i++)
        {
            GreedyConformanceTests.AssertClose(alone[i], batched[i], 1e-4f);
            Assert.Equal(ArgMax(alone[i]), ArgMax(batched[i]));
        }
    }

    static long FusedSteps(ICausalLM model) => model is Llama llama ? llama.FusedSteps : 0;

    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("qwen2-tiny")]
    [InlineData("gpt2-tiny")] // the interface's default: one pass after another
    [InlineData("default")]
    public void BatchedPassesOverSeveralCachesDecodeAsEachAlone(string modelName)
    {
        using var loaded = ModelLoader.Load(ModelDir(modelName));
        var alone = Decode(loaded.Model, batched: false, steps: 12);
        long before = FusedSteps(loaded.Model);
        var batched = Decode(loaded.Model, batched: true, steps: 12);

        AssertSameDecoding(alone, batched);
        // One fused pass per step (the three prefills included) on the Llama family's CPU path.
        if (loaded.Model is Llama) Assert.Equal(12, FusedSteps(loaded.Model) - before);
    }

    [Fact]
    public void PassesTheFusedPassCannotTakeRunAloneWithinTheBatch()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var longPrompt = Enumerable.Range(0, LlamaDecodeStep.MaxRows + 6).Select(i => (long)(i * 7 % 500)).ToArray();
        // The first prompt becomes a prefill longer than the fused pass takes; it runs on torch, the others fused.
        ForwardRequest Shape(int step, ForwardRequest r) => step == 0 && r.InputIds.GetLength(1) == Prompts[0].Length ? ForwardRequest.Single(longPrompt) : r;
        var alone = Decode(loaded.Model, batched: false, steps: 6, Shape);
        long before = FusedSteps(loaded.Model);
        var batched = Decode(loaded.Model, batched: true, steps: 6, Shape);

        AssertSameDecoding(alone, batched);
        Assert.Equal(6, FusedSteps(loaded.Model) - before);
    }

    [Fact]
    public void BatchesBeyondTheRowLimitSplitIntoSeveralFusedPasses()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var model = loaded.Model;
        // Five 20-token prefills: 100 rows, fused as 60 + 40.
        var caches = Enumerable.Range(0, 5).Select(_ => model.CreateCache(1)).ToArray();
        var passes = caches.Select((c, i) => new CachedForward(ForwardRequest.Single(Enumerable.Range(0, 20).Select(t => (long)(3 + i * 31 + t * 5)).ToArray()), c)).ToArray();
        List<float[]> Run(bool batched)
        {
            using var scope = NewDisposeScope();
            var results = batched ? model.Forward(passes) : passes.Select(p => model.Forward(p.Request, p.Cache)).ToArray();
            foreach (var c in caches) c.Truncate(0);
            return LastLogits(results);
        }
        var alone = Run(false);
        long before = FusedSteps(model);
        var batched = Run(true);

        AssertSameDecoding(alone, batched);
        Assert.Equal(2, FusedSteps(model) - before);
        foreach (var c in caches) c.Dispose();
    }

    [Fact]
    public void VerificationChunksAndHiddenStatesInABatchMatchRunningAlone()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var model = loaded.Model;
        List<float[]> Run(bool batched)
        {
            var caches = Prompts.Select(_ => model.CreateCache(1)).ToArray();
            using var scope = NewDisposeScope();
            foreach (var (cache, prompt) in caches.Zip(Prompts)) model.Forward(ForwardRequest.Single(prompt), cache).Dispose();
            CachedForward[] passes =
            [
                new(ForwardRequest.Step([9]) with { ReturnHidden = true }, caches[0]),
                new(ForwardRequest.Single([4, 19, 23, 61], OutputPositions.All) with { ReturnHidden = true }, caches[1]),
                new(ForwardRequest.Step([44]), caches[2]),
            ];
            var results = batched ? model.Forward(passes) : passes.Select(p => model.Forward(p.Request, p.Cache)).ToArray();
            Assert.Equal(new long[] { 1, 4, model.Config.VocabSize }, results[1].Logits.shape);
            Assert.Null(results[2].Hidden);
            var rows = results.SelectMany(r => new[] { r.Logits, r.Hidden }).Where(t => t is not null).Select(t => t!.data<float>().ToArray()).ToList();
            foreach (var c in caches) c.Dispose();
            return rows;
        }
        var alone = Run(false);
        var batched = Run(true);
        Assert.Equal(alone.Count, batched.Count);
        for (int i = 0; i < alone.Count; i++) GreedyConformanceTests.AssertClose(alone[i], batched[i], 1e-4f);
    }

    [Theory]
    [InlineData("llama-tiny", true)]
    [InlineData("llama-tiny", false)] // torch, one pass after another: the passes before the bad one are rolled back
    [InlineData("gpt2-tiny", true)]
    public void AFailingPassLeavesEveryCacheAsItWas(string modelName, bool fused)
    {
        using var loaded = ModelLoader.Load(Fixtures.Model(modelName));
        var model = loaded.Model;
        if (model is Llama llama) llama.FusedDecode = fused;
        var caches = Prompts.Select(_ => model.CreateCache(1)).ToArray();
        var reference = Prompts.Select(_ => model.CreateCache(1)).ToArray();
        using var scope = NewDisposeScope();
        foreach (var (c, p) in caches.Zip(Prompts).Concat(reference.Zip(Prompts))) model.Forward(ForwardRequest.Single(p), c).Dispose();
        var lengths = caches.Select(c => c.Length).ToArray();
        CachedForward[] bad =
        [
            new(ForwardRequest.Step([9]), caches[0]),
            new(ForwardRequest.Step([model.Config.VocabSize]), caches[1]),
            new(ForwardRequest.Step([44]), caches[2]),
        ];

        Assert.ThrowsAny<Exception>(() => model.Forward(bad));
        Assert.Equal(lengths, caches.Select(c => c.Length));
        // The caches decode on exactly as caches that never saw the failed batch.
        var after = LastLogits(model.Forward([new CachedForward(ForwardRequest.Step([9]), caches[0]), new CachedForward(ForwardRequest.Step([44]), caches[2])]));
        var expected = LastLogits(model.Forward([new CachedForward(ForwardRequest.Step([9]), reference[0]), new CachedForward(ForwardRequest.Step([44]), reference[2])]));
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], after[i]);
        foreach (var c in caches.Concat(reference)) c.Dispose();
    }

    [Fact]
    public void TwoPassesOverOneCacheAreRefused()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var cache = loaded.Model.CreateCache(1);
        var e = Assert.Throws<ArgumentException>(() => loaded.Model.Forward([new CachedForward(ForwardRequest.Single([5, 6]), cache), new CachedForward(ForwardRequest.Single([7]), cache)]));
        Assert.Contains("same KV cache", e.Message);
        Assert.Equal(0, cache.Length);
    }
}
