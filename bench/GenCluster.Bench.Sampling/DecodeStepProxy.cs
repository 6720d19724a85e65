using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Bench.Sampling;

/// <summary>
/// The weight traffic of one batch-1 decode step of a SmolLM2-135M-shaped model (hidden 576, 30 layers, 9 heads / 3 KV
/// heads of 64, MLP 1536, tied vocab 49152): every projection as a matrix-vector product, attention over a short
/// context and norms left out. A lower bound of the real step, so "chain / proxy" overstates the chain's share.
/// </summary>
sealed class DecodeStepProxy : IDisposable
{
    const int Hidden = 576, Layers = 30, KvDim = 192, Mlp = 1536, Vocab = 49152;
    readonly List<Tensor> weights = [];

    public DecodeStepProxy()
    {
        for (var l = 0; l < Layers; l++)
            foreach (var outDim in new[] { Hidden, KvDim, KvDim, Hidden, Mlp, Mlp })
                weights.Add(randn(outDim, Hidden).mul_(0.02));
        for (var l = 0; l < Layers; l++) weights.Add(randn(Hidden, Mlp).mul_(0.02));
        weights.Add(randn(Vocab, Hidden).mul_(0.02));
    }

    /// <summary>Parameters touched per step.</summary>
    public long Parameters => weights.Sum(w => w.numel());

    /// <summary>One step: each weight times a vector of its input width.</summary>
    public void Step()
    {
        using var scope = NewDisposeScope();
        var x = randn(Hidden, 1);
        var wide = randn(Mlp, 1);
        foreach (var w in weights) w.matmul(w.shape[1] == Hidden ? x : wide);
    }

    public void Dispose()
    {
        foreach (var w in weights) w.Dispose();
    }
}
