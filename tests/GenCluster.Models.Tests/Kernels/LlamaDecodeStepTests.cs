using System.Text.Json.Nodes;
using GenCluster.Models.Architectures;
using GenCluster.Models.Kernels;
using GenCluster.Models.Runtime;
using GenCluster.TestSupport;
using static TorchSharp.torch;

namespace GenCluster.Models.Tests.Kernels;

/// <summary>
/// The fused C# decode step gives the per-op torch path's logits (within 1e-4) and greedy tokens, on single rows,
/// left-padded batches, reordered caches, sliding windows and compact weights, and leaves the cache as torch would.
/// </summary>
public class LlamaDecodeStepTests
{
    static readonly long[] Prompt = [5, 17, 33, 2, 90, 101, 7, 64];

    /// <summary>Greedy decoding from <paramref name="first"/>: each step's last-position logits per row.</summary>
    static List<float[][]> Greedy(ICausalLM model, KvCache cache, ForwardRequest first, int steps)
    {
        var trace = new List<float[][]>();
        var request = first;
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            using var result = model.Forward(request, cache);
            var rows = Enumerable.Range(0, cache.BatchSize).Select(b => result.Logits[b, -1].data<float>().ToArray()).ToArray();
            trace.Add(rows);
            request = ForwardRequest.Step(rows.Select(l => (long)Array.IndexOf(l, l.Max())).ToArray());
        }
        return trace;
    }

    /// <summary>Runs <paramref name="run"/> with the fused step, then with the per-op path, and checks they agree; returns fused steps taken.</summary>
    static long AssertFusedEqualsPerOp(ICausalLM model, Func<ICausalLM, List<float[][]>> run, float tolerance = 1e-4f)
    {
        var llama = Assert.IsType<Llama>(model);
        long before = llama.FusedSteps;
        var fused = run(llama);
        long taken = llama.FusedSteps - before;
        llama.FusedDecode = false;
        List<float[][]> perOp;
        try { perOp = run(llama); }
        finally { llama.FusedDecode = true; }
        Assert.Equal(taken, llama.FusedSteps - before);
        Assert.Equal(perOp.Count, fused.Count);
        for (int step = 0; step < perOp.Count; step++)
            for (int row = 0; row < perOp[step].Length; row++)
            {
                GreedyConformanceTests.AssertClose(perOp[step][row], fused[step][row], tolerance);
                Assert.Equal(Array.IndexOf(perOp[step][row], perOp[step][row].Max()), Array.IndexOf(fused[step][row], fused[step][row].Max()));
            }
        return taken;
    }

    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("qwen2-tiny")]
    [InlineData("llama-tiny-draft")]
    public void DecodeStepsMatchThePerOpPath(string modelName)
    {
        using var loaded = ModelLoader.Load(Fixtures.Model(modelName));
        long taken = AssertFusedEqualsPerOp(loaded.Model, model =>
        {
            using var cache = model.CreateCache(1, capacity: 4); // the fused step must follow the cache's growth
            return Greedy(model, cache, ForwardRequest.Single(Prompt), 24);
        });
        Assert.Equal(23, taken);
    }

    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("qwen2-tiny")]
    [InlineData("llama-tiny-draft")]
    public void LeftPaddedBatchesMatchThePerOpPath(string modelName)
    {
        using var golden = Fixtures.Golden("greedy.json");
        var b = golden.RootElement.GetProperty("models").GetProperty(modelName).GetProperty("batched");
        var rows = b.GetProperty("input_ids").EnumerateArray().Select(Fixtures.ReadLongs).ToArray();
        var mask = b.GetProperty("attention_mask").EnumerateArray().Select(Fixtures.ReadLongs).ToArray();
        Assert.Contains(mask, m => m.Contains(0L));
        using var loaded = ModelLoader.Load(Fixtures.Model(modelName));
        long taken = AssertFusedEqualsPerOp(loaded.Model, model =>
        {
            using var cache = model.CreateCache(rows.Length);
            var prefill = new ForwardRequest(GreedyConformanceTests.To2D(rows)) { AttentionMask = GreedyConformanceTests.To2D(mask) };
            return Greedy(model, cache, prefill, 16);
        });
        Assert.Equal(15, taken);
    }

    [Fact]
    public void ReorderedCachesMatchThePerOpPath()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        long taken = AssertFusedEqualsPerOp(loaded.Model, model =>
        {
            using var cache = model.CreateCache(1);
            model.Forward(ForwardRequest.Single(Prompt), cache).Dispose();
            cache.Reorder([0, 0, 0]);
            var trace = Greedy(model, cache, ForwardRequest.Step([20, 21, 22]), 6);
            cache.Reorder([2, 0]);
            trace.AddRange(Greedy(model, cache, ForwardRequest.Step([30, 31]), 6));
            return trace;
        });
        Assert.Equal(12, taken);
    }

    [Fact]
    public void TorchForwardsAfterFusedStepsSeeTheSameCache()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("qwen2-tiny"));
        AssertFusedEqualsPerOp(loaded.Model, model =>
        {
            using var cache = model.CreateCache(1);
            var trace = Greedy(model, cache, ForwardRequest.Single(Prompt), 6);
            // A multi-token forward and a tree verify run on torch over keys/values the fused steps wrote.
            trace.AddRange(Greedy(model, cache, ForwardRequest.Single([40, 41, 42]), 3));
            trace.AddRange(Greedy(model, cache, new ForwardRequest(new long[,] { { 50, 51 } }) { TreeMask = new[,] { { true, false }, { true, true } } }, 2));
            return trace;
        });
    }

    [Fact]
    public void HiddenStatesMatchThePerOpPath()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var llama = (Llama)loaded.Model;
        float[] Hidden()
        {
            using var cache = llama.CreateCache(1);
            llama.Forward(ForwardRequest.Single(Prompt), cache).Dispose();
            using var r = llama.Forward(ForwardRequest.Step([9]) with { ReturnHidden = true }, cache);
            return r.Hidden!.data<float>().ToArray();
        }
        var fused = Hidden();
        llama.FusedDecode = false;
        GreedyConformanceTests.AssertClose(Hidden(), fused);
    }

    /// <summary>
    /// int8 products round their inputs to int16 per group (<see cref="Int8Kernels"/>): a last-bit difference between the
    /// two paths' inputs can move one rounding step, so their logits (spanning about ±10) agree to 1e-2, not 1e-4.
    /// </summary>
    static float ToleranceFor(string dtype) => dtype == "int8" ? 1e-2f : 1e-4f;

    [Theory]
    [InlineData("bfloat16")]
    [InlineData("int8")]
    public void CompactWeightsThroughTheFusedStepMatchPackedLinear(string dtype)
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"), new LoadOptions { Dtype = dtype });
        long taken = AssertFusedEqualsPerOp(loaded.Model, model =>
        {
            using var cache = model.CreateCache(2);
            var prefill = new ForwardRequest(new long[,] { { 0, 0, 5, 17, 33 }, { 90, 101, 7, 64, 3 } }) { AttentionMask = new long[,] { { 0, 0, 1, 1, 1 }, { 1, 1, 1, 1, 1 } } };
            return Greedy(model, cache, prefill, 12);
        }, ToleranceFor(dtype));
        Assert.Equal(11, taken);
    }

    [Theory]
    [InlineData("bfloat16")]
    [InlineData("int8")]
    public void TiedEmbeddingsInCompactFormatsMatchPackedLinearRows(string dtype)
    {
        // qwen2-tiny ties its embedding to the LM head, so the fused step reads embedding rows from the compact head.
        using var loaded = ModelLoader.Load(Fixtures.Model("qwen2-tiny"), new LoadOptions { Dtype = dtype });
        AssertFusedEqualsPerOp(loaded.Model, model =>
        {
            using var cache = model.CreateCache(1);
            return Greedy(model, cache, ForwardRequest.Single(Prompt), 8);
        }, ToleranceFor(dtype));
    }

    [Fact]
    public void SlidingWindowHidesOldSlotsAsThePerOpPathDoes()
    {
        var dir = Directory.CreateTempSubdirectory("gencluster-window-").FullName;
        try
        {
            var source = Fixtures.Model("llama-tiny");
            foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
            config["use_sliding_window"] = true;
            config["sliding_window"] = 4;
            File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
            using var windowed = ModelLoader.Load(dir);
            Assert.Equal(4, windowed.Config.SlidingWindow);
            AssertFusedEqualsPerOp(windowed.Model, model =>
            {
                using var cache = model.CreateCache(1);
                return Greedy(model, cache, ForwardRequest.Single(Prompt), 10);
            });
            // The window changes the numbers: the same weights without it give different logits.
            using var full = ModelLoader.Load(source);
            using var c1 = windowed.Model.CreateCache(1);
            using var c2 = full.Model.CreateCache(1);
            var a = Greedy(windowed.Model, c1, ForwardRequest.Single(Prompt), 2)[1][0];
            var b = Greedy(full.Model, c2, ForwardRequest.Single(Prompt), 2)[1][0];
            Assert.True(a.Zip(b, (x, y) => Math.Abs(x - y)).Max() > 1e-3);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void OutOfVocabularyTokensAreRejectedBeforeTheCacheChanges()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var cache = loaded.Model.CreateCache(1);
        loaded.Model.Forward(ForwardRequest.Single(Prompt), cache).Dispose();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => loaded.Model.Forward(ForwardRequest.Step([512]), cache));
        Assert.Contains("512", error.Message);
        Assert.Equal(Prompt.Length, cache.Length);
    }
}
