using System.Text.Json.Nodes;
using GenCluster.Models.Architectures;
using GenCluster.Models.Kernels;
using GenCluster.Models.Runtime;
using GenCluster.TestSupport;
using static TorchSharp.torch;

namespace GenCluster.Models.Tests.Kernels;

/// <summary>
/// The fused C# pass gives the per-op torch path's logits (within 1e-4) and greedy tokens, on single rows,
/// left-padded batches, reordered caches, sliding windows, compact weights, short prefills and speculative / tree
/// verification chunks, and leaves the cache as torch would.
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
        Assert.Equal(24, taken); // the 8-token prefill and 23 decode steps
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
        Assert.Equal(13, taken);
    }

    [Fact]
    public void EqualLengthBatchPrefillsMatchThePerOpPath()
    {
        // 3 rows × 4 tokens without padding: 12 activation rows, each row's tokens in its own cache row.
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        long taken = AssertFusedEqualsPerOp(loaded.Model, model =>
        {
            using var cache = model.CreateCache(3);
            return Greedy(model, cache, new ForwardRequest(new long[,] { { 5, 17, 33, 2 }, { 90, 101, 7, 64 }, { 3, 3, 8, 1 } }), 4);
        });
        Assert.Equal(4, taken);
    }

    [Fact]
    public void TorchForwardsAfterFusedStepsSeeTheSameCache()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("qwen2-tiny"));
        var longChunk = Enumerable.Range(0, LlamaDecodeStep.MaxRows + 6).Select(i => (long)(i * 7 % 500)).ToArray();
        long taken = AssertFusedEqualsPerOp(loaded.Model, model =>
        {
            using var cache = model.CreateCache(1);
            var trace = Greedy(model, cache, ForwardRequest.Single(Prompt), 6);
            // A chunk longer than the fused pass takes runs on torch over keys/values the fused steps wrote, and back.
            trace.AddRange(Greedy(model, cache, ForwardRequest.Single(longChunk), 4));
            return trace;
        });
        Assert.Equal(6 + 3, taken); // every forward but the long chunk
    }

    /// <summary>Every position's logits, then every position's hidden state, of one forward with Outputs = All.</summary>
    static float[][] AllRows(ICausalLM model, ForwardRequest request, KvCache cache)
    {
        using var scope = NewDisposeScope();
        using var result = model.Forward(request with { Outputs = OutputPositions.All, ReturnHidden = true }, cache);
        int count = request.InputIds.GetLength(1);
        Assert.Equal(new long[] { 1, count, model.Config.VocabSize }, result.Logits.shape);
        return Enumerable.Range(0, count).Select(t => result.Logits[0, t].data<float>().ToArray())
            .Concat(Enumerable.Range(0, count).Select(t => result.Hidden![0, t].data<float>().ToArray())).ToArray();
    }

    [Theory]
    [InlineData("llama-tiny", 5)]
    [InlineData("qwen2-tiny", 19)] // more rows than one 8-row kernel call
    public void SpeculativeVerifyChunksMatchThePerOpPath(string modelName, int k)
    {
        using var loaded = ModelLoader.Load(Fixtures.Model(modelName));
        long taken = AssertFusedEqualsPerOp(loaded.Model, model =>
        {
            using var cache = model.CreateCache(1, capacity: 8);
            var trace = new List<float[][]> { AllRows(model, ForwardRequest.Single(Prompt), cache) };
            // Verify K proposals, roll back to a partial acceptance, verify again from there (what speculative decoding does).
            var proposal = Enumerable.Range(0, k + 1).Select(i => (long)(3 + 11 * i)).ToArray();
            trace.Add(AllRows(model, ForwardRequest.Single(proposal), cache));
            cache.Truncate(Prompt.Length + 2);
            trace.Add(AllRows(model, ForwardRequest.Single(proposal.Reverse().ToArray()), cache));
            trace.AddRange(Greedy(model, cache, ForwardRequest.Step([9]), 3));
            return trace;
        });
        Assert.Equal(6, taken);
    }

    /// <summary>A Medusa-like verify request: root then nodes, each seeing its ancestors, position = start + depth.</summary>
    static ForwardRequest Tree(long start, int[] parents)
    {
        int n = parents.Length + 1;
        var ids = new long[1, n];
        var positions = new long[1, n];
        var visible = new bool[n, n];
        for (int i = 0; i < n; i++)
        {
            ids[0, i] = 4 + 13 * i % 300;
            int depth = 0;
            for (int j = i; j > 0; j = parents[j - 1] + 1, depth++) visible[i, j] = true;
            visible[i, 0] = true;
            positions[0, i] = start + depth;
        }
        return new ForwardRequest(ids) { Positions = positions, TreeMask = visible };
    }

    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("qwen2-tiny")]
    public void TreeVerificationMatchesThePerOpPath(string modelName)
    {
        // 20 nodes under the root: three children of the root, chains and siblings down to depth 4.
        int[] parents = [-1, -1, -1, 0, 0, 1, 2, 3, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11, 13, 14];
        using var loaded = ModelLoader.Load(Fixtures.Model(modelName));
        long taken = AssertFusedEqualsPerOp(loaded.Model, model =>
        {
            using var cache = model.CreateCache(1);
            var trace = Greedy(model, cache, ForwardRequest.Single(Prompt), 3);
            int prefix = cache.Length;
            trace.Add(AllRows(model, Tree(cache.NextPosition(0), parents), cache));
            // Keep the path root → node 1 → 5 → 10 → 16 (forward indices 0, 2, 6, 11, 17) and decode on from it.
            cache.KeepSlots(prefix, [prefix, prefix + 2, prefix + 6, prefix + 11, prefix + 17]);
            trace.AddRange(Greedy(model, cache, ForwardRequest.Step([42]), 3));
            trace.Add(AllRows(model, Tree(cache.NextPosition(0), parents), cache));
            return trace;
        });
        Assert.Equal(8, taken);
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
