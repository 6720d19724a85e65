using System.Runtime.InteropServices;

namespace GenCluster.Models.Kernels;

/// <summary>
/// Native float buffers a fused decode step works in for one batch size, allocated once (the attention scores
/// grow with the cache, doubling), so a step allocates nothing but its output tensors.
/// </summary>
internal sealed unsafe class DecodeScratch : IDisposable
{
    readonly List<nint> _blocks = [];
    readonly int _scoreRows;
    int _scoreSlots;

    /// <summary>Rows in the batch.</summary>
    public int Batch { get; }

    /// <summary>The residual stream x [batch, hidden].</summary>
    public float* Residual { get; }

    /// <summary>RMSNorm(x) [batch, hidden], the input of the next product.</summary>
    public float* Normed { get; }

    /// <summary>Fused q|k|v [batch, q + 2 kv]; q is rotated in place.</summary>
    public float* Qkv { get; }

    /// <summary>Attention output [batch, heads · head_dim].</summary>
    public float* Attended { get; }

    /// <summary>Output of o_proj or down_proj [batch, hidden], added to the residual stream.</summary>
    public float* Projected { get; }

    /// <summary>Fused gate|up [batch, 2 · intermediate].</summary>
    public float* GateUp { get; }

    /// <summary>silu(gate) · up [batch, intermediate].</summary>
    public float* Gated { get; }

    /// <summary>Attention weights, one row of <see cref="ScoreStride"/> per (row, head).</summary>
    public float* Scores { get; private set; }

    /// <summary>Floats between consecutive (row, head) rows of <see cref="Scores"/>.</summary>
    public int ScoreStride => _scoreSlots;

    public DecodeScratch(int batch, int hidden, int qkv, int attended, int intermediate, int heads)
    {
        Batch = batch;
        Residual = Allocate((long)batch * hidden);
        Normed = Allocate((long)batch * hidden);
        Qkv = Allocate((long)batch * qkv);
        Attended = Allocate((long)batch * attended);
        Projected = Allocate((long)batch * hidden);
        GateUp = Allocate(2L * batch * intermediate);
        Gated = Allocate((long)batch * intermediate);
        _scoreRows = batch * heads;
    }

    /// <summary>Makes <see cref="Scores"/> hold at least <paramref name="slots"/> per (row, head).</summary>
    public void EnsureSlots(int slots)
    {
        if (slots <= _scoreSlots) return;
        if (Scores != null)
        {
            _blocks.Remove((nint)Scores);
            NativeMemory.AlignedFree(Scores);
        }
        _scoreSlots = Math.Max(slots, 2 * _scoreSlots);
        Scores = Allocate((long)_scoreRows * _scoreSlots);
    }

    float* Allocate(long floats)
    {
        var block = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, floats) * sizeof(float)), 64);
        _blocks.Add((nint)block);
        return block;
    }

    public void Dispose()
    {
        foreach (var block in _blocks) NativeMemory.AlignedFree((void*)block);
        _blocks.Clear();
    }
}
