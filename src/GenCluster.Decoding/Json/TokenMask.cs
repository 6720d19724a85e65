using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Json;

/// <summary>The set of token ids allowed at one step of constrained decoding, as a bitset over the vocabulary.</summary>
public sealed class TokenMask
{
    readonly ulong[] _bits;

    internal TokenMask(int size)
    {
        Size = size;
        _bits = new ulong[(size + 63) / 64];
    }

    /// <summary>Vocabulary size the mask covers; ids at or above it are never allowed.</summary>
    public int Size { get; }

    internal void Allow(int id) => _bits[id >> 6] |= 1UL << id;

    /// <summary>Whether token <paramref name="id"/> may be sampled.</summary>
    public bool IsAllowed(int id) => (uint)id < (uint)Size && (_bits[id >> 6] >> id & 1) != 0;

    /// <summary>How many ids are allowed (0 means the vocabulary cannot continue the value: see TokenVocabulary).</summary>
    public int Count => _bits.Sum(word => BitOperations.PopCount(word));

    /// <summary>The allowed ids in increasing order.</summary>
    public IEnumerable<int> AllowedIds()
    {
        for (int w = 0; w < _bits.Length; w++)
            for (var word = _bits[w]; word != 0; word &= word - 1)
                yield return w * 64 + BitOperations.TrailingZeroCount(word);
    }

    /// <summary>
    /// Sets the scores of disallowed ids to -inf in place, as a logits processor before sampling; the last dimension
    /// of <paramref name="scores"/> ([vocab] or [batch, vocab]) may exceed <see cref="Size"/> (padded embeddings).
    /// Contiguous float32 CPU scores are written directly; others go through a masked_fill.
    /// </summary>
    public Tensor ApplyTo(Tensor scores)
    {
        var width = (int)scores.shape[^1];
        if (scores.device_type == DeviceType.CPU && scores.dtype == ScalarType.Float32 && scores.is_contiguous())
        {
            var values = MemoryMarshal.Cast<byte, float>(scores.bytes);
            for (int row = 0; row < values.Length; row += width) Apply(values.Slice(row, width));
            return scores;
        }
        var disallowed = new bool[width];
        for (int id = 0; id < width; id++) disallowed[id] = !IsAllowed(id);
        using var mask = tensor(disallowed, device: scores.device);
        return scores.masked_fill_(mask, float.NegativeInfinity);
    }

    void Apply(Span<float> row)
    {
        for (int start = 0; start < row.Length; start += 64)
        {
            var word = start / 64 < _bits.Length ? _bits[start / 64] : 0;
            var end = Math.Min(row.Length, start + 64);
            if (word == 0) row[start..end].Fill(float.NegativeInfinity);
            else if (word != ulong.MaxValue)
                for (int id = start; id < end; id++)
                    if ((word >> (id - start) & 1) == 0) row[id] = float.NegativeInfinity;
        }
    }
}
