using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenCluster.Training.Modeling;

/// <summary>HF LlamaForCausalLM for training: parameter names equal the Hugging Face tensor names (model.layers.0.self_attn.q_proj.weight, ...).</summary>
public sealed class LlamaCausalLm : nn.Module<Tensor, Tensor>
{
    readonly LlamaBackbone model;
    readonly Linear? lm_head;

    /// <summary>
    /// A model of the given shape, initialised as HF does (normal(0, 0.02) weights, unit norms), drawing from
    /// <paramref name="generator"/> when given (torch's process-wide generator is shared with every other thread).
    /// </summary>
    public LlamaCausalLm(LlamaShape shape, Generator? generator = null) : base(nameof(LlamaCausalLm))
    {
        Shape = shape.Validate();
        model = new LlamaBackbone(shape);
        if (!shape.TieWordEmbeddings) lm_head = nn.Linear(shape.HiddenSize, shape.VocabSize, hasBias: false);
        RegisterComponents();
        using var noGrad = no_grad();
        foreach (var (name, p) in named_parameters())
            if (!name.EndsWith("norm.weight", StringComparison.Ordinal)) nn.init.normal_(p, 0, 0.02, generator);
    }

    /// <summary>The hyper-parameters.</summary>
    public LlamaShape Shape { get; }

    /// <summary>Logits (B, T, vocab) for token ids (B, T).</summary>
    public override Tensor forward(Tensor ids)
    {
        var h = model.forward(ids);
        return lm_head is null ? matmul(h, model.EmbeddingWeight.t()) : lm_head.forward(h);
    }

    /// <summary>Number of distinct parameters (a tied embedding counts once).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());
}
