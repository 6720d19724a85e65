using GenCluster.Models.Runtime;
using GenCluster.TestSupport;

namespace GenCluster.Models.Tests.Kernels;

/// <summary>The CPU fast path changes speed, not results: greedy continuations are identical with it on and off.</summary>
public class FastPathConformanceTests
{
    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("gpt2-tiny")]
    [InlineData("qwen2-tiny")]
    [InlineData("llama-tiny-draft")]
    public void GreedyIsIdenticalWithKernelsOnAndOff(string modelName)
    {
        using var golden = Fixtures.Golden("greedy.json");
        using var fast = ModelLoader.Load(Fixtures.Model(modelName), new LoadOptions { CpuKernels = true });
        using var slow = ModelLoader.Load(Fixtures.Model(modelName), new LoadOptions { CpuKernels = false });
        foreach (var c in golden.RootElement.GetProperty("models").GetProperty(modelName).GetProperty("cases").EnumerateArray())
        {
            var prompt = Fixtures.ReadLongs(c.GetProperty("prompt"));
            var a = GreedyReference.Run(fast.Model, prompt, 32, 2);
            var b = GreedyReference.Run(slow.Model, prompt, 32, 2);
            Assert.Equal(b.Tokens, a.Tokens);
            GreedyConformanceTests.AssertClose(b.FirstLogits, a.FirstLogits);
        }
    }

    [Fact]
    public void BFloat16WeightsOnTheCpuEqualTransformersOnTheRoundedCheckpoint()
    {
        // llama-tiny-bf16's weights are already bfloat16 values, which transformers computed in float32: keeping the
        // linear weights in bfloat16 and widening them in registers must give the same numbers.
        using var golden = Fixtures.Golden("extras.json");
        using var compact = ModelLoader.Load(Fixtures.Model("llama-tiny-bf16"), new LoadOptions { Dtype = "bfloat16" });
        foreach (var c in golden.RootElement.GetProperty("models").GetProperty("llama-tiny-bf16").GetProperty("cases").EnumerateArray())
        {
            var (tokens, first, _) = GreedyReference.Run(compact.Model, Fixtures.ReadLongs(c.GetProperty("prompt")), 16, 2);
            GreedyConformanceTests.AssertClose(Fixtures.ReadFloats(c.GetProperty("logits_prompt_last")), first);
            Assert.Equal(Fixtures.ReadLongs(c.GetProperty("generated")), tokens);
        }
    }

    [Fact]
    public void Int8WeightsStayCloseToFloat32()
    {
        using var full = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var compact = ModelLoader.Load(Fixtures.Model("llama-tiny"), new LoadOptions { Dtype = "int8" });
        long[] prompt = [1, 20, 30, 40, 50];
        using var c1 = full.Model.CreateCache(1);
        using var c2 = compact.Model.CreateCache(1);
        using var r1 = full.Model.Forward(ForwardRequest.Single(prompt), c1);
        using var r2 = compact.Model.Forward(ForwardRequest.Single(prompt), c2);
        var a = r1.Logits.data<float>().ToArray();
        var b = r2.Logits.data<float>().ToArray();
        double worst = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        // Logits span about ±10 here; each weight moves by at most max|w_group| / 254.
        Assert.InRange(worst, 1e-6, 0.5);
    }
}
