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
}
