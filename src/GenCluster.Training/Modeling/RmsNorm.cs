using TorchSharp;
using TorchSharp.Modules;
using GenCluster.Models.Runtime;
using static TorchSharp.torch;

namespace GenCluster.Training.Modeling;

/// <summary>Root-mean-square layer norm (Zhang and Sennrich 2019) as HF LlamaRMSNorm: x / sqrt(mean(x^2) + eps) in float32, then times the weight.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    readonly Scalar eps; // held for the module's life (see HeldScalars)
    readonly Parameter weight;

    /// <summary>A norm over the last dimension of width <paramref name="size"/>, weight initialised to ones.</summary>
    public RmsNorm(int size, double eps) : base(nameof(RmsNorm))
    {
        this.eps = eps.ToScalar();
        weight = new Parameter(ones(size));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        var x32 = x.to_type(ScalarType.Float32);
        var normed = x32 * rsqrt((x32 * x32).mean([-1], keepdim: true).add(eps, HeldScalars.One));
        return weight * normed.to_type(x.dtype);
    }
}
