using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenCluster.Training.Modeling;

/// <summary>SwiGLU feed-forward (Shazeer 2020) as HF LlamaMLP: down(silu(gate(x)) * up(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    readonly Linear gate_proj, up_proj, down_proj;

    /// <summary>Projections hidden -> intermediate -> hidden, no biases.</summary>
    public LlamaMlp(LlamaShape shape) : base(nameof(LlamaMlp))
    {
        gate_proj = nn.Linear(shape.HiddenSize, shape.IntermediateSize, hasBias: false);
        up_proj = nn.Linear(shape.HiddenSize, shape.IntermediateSize, hasBias: false);
        down_proj = nn.Linear(shape.IntermediateSize, shape.HiddenSize, hasBias: false);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x) =>
        down_proj.forward(nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x));
}
