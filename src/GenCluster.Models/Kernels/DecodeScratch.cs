using System.Runtime.InteropServices;

namespace GenCluster.Models.Kernels;

/// <summary>
/// Native float buffers a fused step works in, sized for up to <see cref="Rows"/> activation rows (new tokens of every
/// sequence) and allocated once (the attention scores grow with the cache, doubling), so a step allocates nothing but
/// its output tensors.
/// </summary>
internal sealed unsafe class DecodeScratch : IDisposable
{
    readonly List<nint> _blocks = [];
    readonly int _scoreRows;
    int _scoreSlots;

    /// <summary>Activation rows the buffers hold.</summary>
    public int Rows { get; }

    /// <summary>The residual stream x [rows, hidden].</summary>
    public float* Residual { get; }

    /// <summary>RMSNorm(x) [rows, hidden], the input of the next product.</summary>
    public float* Normed { get; }

    /// <summary>Fused q|k|v [rows, q + 2 kv]; q is rotated in place.</summary>
    public float* Qkv { get; }

    /// <summary>Attention output [rows, heads · head_dim].</summary>
    public float* Attended { get; }

    /// <summary>Output of o_proj or down_proj [rows, hidden], added to the residual stream.</summary>
    public float* Projected { get; }

    /// <summary>Fused gate|up [rows, 2 · intermediate].</summary>
    public float* GateUp { get; }

    /// <summary>silu(gate) · up [rows, intermediate].</summary>
    public float* Gated { get; }

    /// <summary>Attention weights, one row of <see cref="ScoreStride"/> per (activation row, head).</summary>
    public float* Scores { get; private set; }

    /// <summary>Floats between consecutive (activation row, head) rows of <see cref="Scores"/>.</summary>
    public int ScoreStride => _scoreSlots;

    public DecodeScratch(int rows, int hidden, int qkv, int attended, int intermediate, int heads)
    {
        Rows = rows;
        long n = rows;
        Residual = Allocate(n * hidden);
        Normed = Allocate(n * hidden);
        Qkv = Allocate(n * qkv);
        Attended = Allocate(n * attended);
        Projected = Allocate(n * hidden);
        GateUp = Allocate(2 * n * intermediate);
        Gated = Allocate(n * intermediate);
        _scoreRows = rows * heads;
    }

    /// <summary>Makes <see cref="Scores"/> hold at least <paramref name="slots"/> per (activation row, head).</summary>
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
