using GenCluster.Models.Config;
using static TorchSharp.torch;

namespace GenCluster.Models.Runtime;

/// <summary>
/// Rotary position embedding (Su et al. 2021) as transformers' Llama computes it: inv_freq = 1 / theta^(2i/d)
/// in float32, optionally rescaled (linear, or Llama 3's wavelength-dependent scaling), angles = position * inv_freq,
/// cos/sin tables over [angles, angles], applied as x * cos + rotate_half(x) * sin.
/// </summary>
internal sealed class RotaryEmbedding : IDisposable
{
    readonly Tensor _invFreq;
    readonly ScalarType _dtype;
    Tensor _cos, _sin;
    long _size;

    public RotaryEmbedding(ModelConfig config, ScalarType dtype, Device device)
    {
        _dtype = dtype;
        int dim = config.HeadDim;
        var invFreq = 1.0 / pow(config.RopeTheta, arange(0, dim, 2, ScalarType.Int64).to(ScalarType.Float32) / dim);
        if (config.RopeScaling is { } scaling) invFreq = Rescale(invFreq, scaling);
        _invFreq = invFreq.to(device).DetachFromDisposeScope();
        (_cos, _sin) = Tables(Math.Max(config.MaxPositions, 1));
    }

    static Tensor Rescale(Tensor invFreq, RopeScaling s)
    {
        if (s.Type == "linear") return invFreq / s.Factor;
        double lowWavelen = s.OriginalMaxPositions / s.LowFreqFactor, highWavelen = s.OriginalMaxPositions / s.HighFreqFactor;
        var wavelen = 2 * Math.PI / invFreq;
        var scaled = where(wavelen > lowWavelen, invFreq / s.Factor, invFreq);
        var smooth = (s.OriginalMaxPositions / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        var smoothed = (1 - smooth) * scaled / s.Factor + smooth * scaled;
        var medium = (wavelen >= highWavelen).logical_and(wavelen <= lowWavelen);
        return where(medium, smoothed, scaled);
    }

    (Tensor Cos, Tensor Sin) Tables(long size)
    {
        _size = size;
        using var scope = NewDisposeScope();
        var angles = outer(arange(size, ScalarType.Float32, _invFreq.device), _invFreq);
        var emb = cat(new[] { angles, angles }, -1);
        return (emb.cos().to(_dtype).MoveToOuterDisposeScope().DetachFromDisposeScope(), emb.sin().to(_dtype).MoveToOuterDisposeScope().DetachFromDisposeScope());
    }

    /// <summary>cos and sin for position ids [batch, new] as [batch, 1, new, head_dim].</summary>
    public (Tensor Cos, Tensor Sin) For(Tensor positions, long maxPosition)
    {
        var (cos, sin) = Covering(maxPosition);
        var flat = positions.reshape(-1);
        long b = positions.shape[0], t = positions.shape[1];
        return (cos.index_select(0, flat).view(b, 1, t, -1), sin.index_select(0, flat).view(b, 1, t, -1));
    }

    /// <summary>The whole cos and sin tables [positions, head_dim], grown to cover <paramref name="maxPosition"/>; owned by this object.</summary>
    public (Tensor Cos, Tensor Sin) Covering(long maxPosition)
    {
        if (maxPosition >= _size)
        {
            _cos.Dispose();
            _sin.Dispose();
            (_cos, _sin) = Tables(Math.Max(maxPosition + 1, _size * 2));
        }
        return (_cos, _sin);
    }

    /// <summary>x * cos + rotate_half(x) * sin for x [batch, heads, new, head_dim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[3] / 2;
        var rotated = cat(new[] { -x.narrow(3, half, half), x.narrow(3, 0, half) }, 3);
        return (x * cos).add(rotated * sin, HeldScalars.One);
    }

    public void Dispose()
    {
        _invFreq.Dispose();
        _cos.Dispose();
        _sin.Dispose();
    }
}
