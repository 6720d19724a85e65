using GenCluster.Models.SafeTensors;
using GenCluster.TestSupport;
using GenCluster.Training.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Training.Tests.Modeling;

public class LlamaCausalLmTests
{
    internal static readonly LlamaShape Tiny = new(64, 32, 48, 2, 4, 2, 32);

    [Fact]
    public void LogitsOfAPositionDoNotDependOnLaterTokens()
    {
        torch.manual_seed(1);
        using var model = new LlamaCausalLm(Tiny);
        using var a = tensor(new long[] { 0, 5, 9, 13, 21, 34 }, [1, 6]);
        using var b = tensor(new long[] { 0, 5, 9, 13, 60, 2 }, [1, 6]);
        using var la = model.forward(a);
        using var lb = model.forward(b);
        Assert.True(la[.., ..4].allclose(lb[.., ..4], rtol: 1e-5, atol: 1e-6));
        Assert.False(la[.., 4..].allclose(lb[.., 4..], rtol: 1e-3, atol: 1e-4));
    }

    [Fact]
    public void ParameterNamesAreHuggingFaceLlamaNames()
    {
        using var model = new LlamaCausalLm(Tiny);
        var names = model.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Contains("model.embed_tokens.weight", names);
        Assert.Contains("model.layers.1.self_attn.k_proj.weight", names);
        Assert.Contains("model.layers.0.mlp.down_proj.weight", names);
        Assert.Contains("model.layers.0.post_attention_layernorm.weight", names);
        Assert.Contains("model.norm.weight", names);
        Assert.DoesNotContain("lm_head.weight", names);
        Assert.Equal(2 + 2 * 9, names.Count);
    }

    [Fact]
    public void UntiedModelHasItsOwnLmHead()
    {
        using var model = new LlamaCausalLm(Tiny with { TieWordEmbeddings = false });
        Assert.Contains("lm_head.weight", model.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void FixtureWeightsGiveTransformersLogits()
    {
        // llama-tiny: hidden 64, 2 layers, 4 heads, 2 KV heads, intermediate 128, untied lm_head (fixtures README).
        using var model = new LlamaCausalLm(new LlamaShape(512, 64, 128, 2, 4, 2, 256, TieWordEmbeddings: false));
        using (var file = new SafeTensorsFile(Path.Combine(Fixtures.Model("llama-tiny"), "model.safetensors")))
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
            {
                using var weight = file.Read(name);
                p.copy_(weight);
            }
        using var golden = Fixtures.Golden("greedy.json");
        foreach (var c in golden.RootElement.GetProperty("models").GetProperty("llama-tiny").GetProperty("cases").EnumerateArray().Take(5))
        {
            var prompt = Fixtures.ReadLongs(c.GetProperty("prompt"));
            var expected = Fixtures.ReadFloats(c.GetProperty("logits_prompt_last"));
            using var ids = tensor(prompt, [1, prompt.Length]);
            using var logits = model.forward(ids);
            var last = logits[0, -1].data<float>().ToArray();
            Assert.All(Enumerable.Range(0, 512), i => Assert.True(Math.Abs(expected[i] - last[i]) < 1e-4, $"logit {i}: {last[i]} vs {expected[i]}"));
        }
    }
}
