using System.Numerics;
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
    /// </summary>
    public Tensor ApplyTo(Tensor scores)
    {
        var width = (int)scores.shape[^1];
        var disallowed = new bool[width];
        for (int id = 0; id < width; id++) disallowed[id] = !IsAllowed(id);
        using var mask = tensor(disallowed, device: scores.device);
        return scores.masked_fill_(mask, float.NegativeInfinity);
    }
}
