using GenCluster.Models.Runtime;
using GenCluster.TestSupport;

namespace GenCluster.Models.Tests;

/// <summary>Cache operations give the same logits as recomputing from scratch.</summary>
public class KvCacheTests
{
    static readonly long[] Prompt = [5, 17, 33, 2, 90, 101, 7, 64];

    static float[] LastLogits(ForwardResult r, int row = 0) => r.Logits[row, -1].data<float>().ToArray();

    static float[] FreshLogits(ICausalLM model, IReadOnlyList<long> ids)
    {
        using var cache = model.CreateCache(1);
        using var r = model.Forward(ForwardRequest.Single(ids), cache);
        return LastLogits(r);
    }

    [Fact]
    public void TruncateThenContinueEqualsRecompute()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var model = loaded.Model;
        using var cache = model.CreateCache(1, capacity: 4); // forces growth
        model.Forward(ForwardRequest.Single(Prompt), cache).Dispose();
        cache.Truncate(5);
        using var r = model.Forward(ForwardRequest.Single([400, 401]), cache);
        GreedyConformanceTests.AssertClose(FreshLogits(model, [.. Prompt[..5], 400, 401]), LastLogits(r));
        Assert.Equal(7, cache.Length);
    }

    [Fact]
    public void ForkedCachesContinueIndependently()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("qwen2-tiny"));
        var model = loaded.Model;
        using var cache = model.CreateCache(1);
        model.Forward(ForwardRequest.Single(Prompt), cache).Dispose();
        using var fork = cache.Fork();
        using var a = model.Forward(ForwardRequest.Step([11]), cache);
        using var b = model.Forward(ForwardRequest.Step([12]), fork);
        GreedyConformanceTests.AssertClose(FreshLogits(model, [.. Prompt, 11]), LastLogits(a));
        GreedyConformanceTests.AssertClose(FreshLogits(model, [.. Prompt, 12]), LastLogits(b));
    }

    [Fact]
    public void ReorderRepeatsAndPermutesRows()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("gpt2-tiny"));
        var model = loaded.Model;
        using var cache = model.CreateCache(1);
        model.Forward(ForwardRequest.Single(Prompt), cache).Dispose();
        cache.Reorder([0, 0, 0]);
        model.Forward(ForwardRequest.Step([20, 21, 22]), cache).Dispose();
        cache.Reorder([2, 0]);
        using var r = model.Forward(ForwardRequest.Step([30, 31]), cache);
        GreedyConformanceTests.AssertClose(FreshLogits(model, [.. Prompt, 22, 30]), LastLogits(r, 0));
        GreedyConformanceTests.AssertClose(FreshLogits(model, [.. Prompt, 20, 31]), LastLogits(r, 1));
    }

    [Fact]
    public void TreeMaskVerifiesBranchesAndKeepSlotsCompactsTheAcceptedPath()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var model = loaded.Model;
        using var cache = model.CreateCache(1);
        model.Forward(ForwardRequest.Single(Prompt), cache).Dispose();
        int p = Prompt.Length;
        // Tree: root 50 with two children 60 (depth 1) and 70 (depth 1); 80 follows 70 (depth 2).
        long[] tokens = [50, 60, 70, 80];
        int[] parent = [-1, 0, 0, 2];
        var visible = new bool[4, 4];
        var positions = new long[1, 4];
        for (int i = 0; i < 4; i++)
        {
            int depth = 0;
            for (int j = i; j >= 0; j = parent[j], depth++) visible[i, j] = true;
            positions[0, i] = p + depth - 1;
        }
        var request = new ForwardRequest(new long[,] { { 50, 60, 70, 80 } }) { TreeMask = visible, Positions = positions, Outputs = OutputPositions.All };
        using (var r = model.Forward(request, cache))
        {
            GreedyConformanceTests.AssertClose(FreshLogits(model, [.. Prompt, 50, 60]), r.Logits[0, 1].data<float>().ToArray());
            GreedyConformanceTests.AssertClose(FreshLogits(model, [.. Prompt, 50, 70, 80]), r.Logits[0, 3].data<float>().ToArray());
        }
        cache.KeepSlots(p, [p, p + 2, p + 3]);
        Assert.Equal(p + 3, cache.Length);
        Assert.Equal(p + 3, cache.NextPosition(0));
        using var next = model.Forward(ForwardRequest.Step([90]), cache);
        GreedyConformanceTests.AssertClose(FreshLogits(model, [.. Prompt, 50, 70, 80, 90]), LastLogits(next));
    }

    [Fact]
    public void KeepSlotsCompactsEveryRowOfABatch()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var model = loaded.Model;
        using var cache = model.CreateCache(1);
        model.Forward(ForwardRequest.Single(Prompt), cache).Dispose();
        cache.Reorder([0, 0]); // two rows continuing the same prompt
        int p = Prompt.Length;
        // Each row appends a tree of three tokens: a_r, then two children b_r and c_r of a_r (both at position p + 1).
        // Keeping a_r and c_r leaves row r as if it had seen [prompt, a_r, c_r].
        var children = new[,] { { true, false, false }, { true, true, false }, { true, false, true } };
        model.Forward(new ForwardRequest(new long[,] { { 50, 51, 52 }, { 60, 61, 62 } })
            { TreeMask = children, Positions = new long[,] { { p, p + 1, p + 1 }, { p, p + 1, p + 1 } } }, cache).Dispose();
        cache.KeepSlots(p, [p, p + 2]);
        Assert.Equal(p + 2, cache.Length);
        using var next = model.Forward(ForwardRequest.Step([90, 91]), cache);
        GreedyConformanceTests.AssertClose(FreshLogits(model, [.. Prompt, 50, 52, 90]), LastLogits(next, row: 0));
        GreedyConformanceTests.AssertClose(FreshLogits(model, [.. Prompt, 60, 62, 91]), LastLogits(next, row: 1));
    }

    [Fact]
    public void NextPositionFollowsStepsPaddingRollbackAndReordering()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var model = loaded.Model;
        using var cache = model.CreateCache(2);
        // Row 0 has two tokens of left padding, row 1 none.
        var request = new ForwardRequest(new long[,] { { 0, 0, 5, 6 }, { 7, 8, 9, 10 } }) { AttentionMask = new long[,] { { 0, 0, 1, 1 }, { 1, 1, 1, 1 } } };
        model.Forward(request, cache).Dispose();
        Assert.Equal((2, 4), (cache.NextPosition(0), cache.NextPosition(1)));
        for (int step = 1; step <= 3; step++)
        {
            model.Forward(ForwardRequest.Step([11, 12]), cache).Dispose(); // the fused step on the CPU
            Assert.Equal((2 + step, 4 + step), (cache.NextPosition(0), cache.NextPosition(1)));
        }
        cache.Truncate(5);
        Assert.Equal((3, 5), (cache.NextPosition(0), cache.NextPosition(1)));
        model.Forward(ForwardRequest.Step([13, 14]), cache).Dispose();
        Assert.Equal((4, 6), (cache.NextPosition(0), cache.NextPosition(1)));
        cache.Reorder([1, 1, 0]);
        Assert.Equal((6, 6, 4), (cache.NextPosition(0), cache.NextPosition(1), cache.NextPosition(2)));
        using var fork = cache.Fork();
        model.Forward(ForwardRequest.Step([15, 16, 17]), cache).Dispose();
        Assert.Equal((7, 5), (cache.NextPosition(0), cache.NextPosition(2)));
        Assert.Equal((6, 4), (fork.NextPosition(0), fork.NextPosition(2)));
    }

    [Fact]
    public void HiddenStatesAreReturnedForAllPositions()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var cache = loaded.Model.CreateCache(1);
        using var r = loaded.Model.Forward(ForwardRequest.Single(Prompt, OutputPositions.All) with { ReturnHidden = true }, cache);
        Assert.Equal(new long[] { 1, Prompt.Length, 512 }, r.Logits.shape);
        Assert.Equal(new long[] { 1, Prompt.Length, 64 }, r.Hidden!.shape);
    }
}
