using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenCluster.Training.Modeling;

/// <summary>HF LlamaModel: token embedding, decoder layers, final norm; returns hidden states.</summary>
public sealed class LlamaBackbone : nn.Module<Tensor, Tensor>
{
    readonly LlamaShape shape;
    readonly Embedding embed_tokens;
    readonly ModuleList<LlamaDecoderLayer> layers;
    readonly RmsNorm norm;

    /// <summary>A backbone sized by the model shape.</summary>
    public LlamaBackbone(LlamaShape shape) : base(nameof(LlamaBackbone))
    {
        this.shape = shape;
        embed_tokens = nn.Embedding(shape.VocabSize, shape.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, shape.NumHiddenLayers).Select(_ => new LlamaDecoderLayer(shape)).ToArray());
        norm = new RmsNorm(shape.HiddenSize, shape.RmsNormEps);
        RegisterComponents();
    }

    /// <summary>The token embedding matrix (vocab, hidden), also the output projection when embeddings are tied.</summary>
    public Parameter EmbeddingWeight => embed_tokens.weight!;

    /// <summary>Hidden states (B, T, hidden) for token ids (B, T) at positions 0..T-1.</summary>
    public override Tensor forward(Tensor ids)
    {
        var (cos, sin) = RotaryEmbedding.Angles(ids.shape[1], shape.HeadDim, shape.RopeTheta, ids.device);
        var h = embed_tokens.forward(ids);
        foreach (var layer in layers) h = layer.forward(h, cos, sin);
        return norm.forward(h);
    }
}
