using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Models.Runtime;

/// <summary>
/// Keys and values of every layer for a batch of sequences, in preallocated buffers [batch, kv_heads, capacity, head_dim]
/// on the model's device. All rows share slot indices; per slot the cache records whether it holds a real token
/// (left padding does not) and its position id, so padded batches, rollback, beam reordering and tree-attention
/// compaction are bookkeeping plus one tensor copy, never a recomputation.
/// </summary>
public sealed class KvCache : IDisposable
{
    readonly Tensor?[] _keys, _values;
    readonly int _kvHeads, _headDim;
    readonly ScalarType _dtype;
    readonly Device _device;
    bool[][] _valid;     // [row][slot]
    long[][] _positions; // [row][slot]
    long[]? _next;       // NextPosition of each row, or null when it must be recomputed
    int _capacity;

    /// <summary>Number of sequences in the batch.</summary>
    public int BatchSize { get; private set; }

    /// <summary>Number of filled slots (the same for every row; padding slots count).</summary>
    public int Length { get; private set; }

    internal KvCache(int layers, int batchSize, int kvHeads, int headDim, ScalarType dtype, Device device, int capacity)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
        (_kvHeads, _headDim, _dtype, _device) = (kvHeads, headDim, dtype, device);
        BatchSize = batchSize;
        _capacity = Math.Max(capacity, 16);
        _valid = NewRows<bool>(batchSize, _capacity);
        _positions = NewRows<long>(batchSize, _capacity);
    }

    static T[][] NewRows<T>(int rows, int cols) => Enumerable.Range(0, rows).Select(_ => new T[cols]).ToArray();

    /// <summary>Next position id of each row: one past the largest position of its real tokens.</summary>
    public long NextPosition(int row)
    {
        if (_next is null)
        {
            // Rebuilt after a rollback or compaction; Commit keeps it current across plain steps.
            _next = new long[BatchSize];
            for (int b = 0; b < BatchSize; b++)
                for (int s = 0; s < Length; s++) if (_valid[b][s]) _next[b] = Math.Max(_next[b], _positions[b][s] + 1);
        }
        return _next[row];
    }

    /// <summary>Whether slot <paramref name="slot"/> of row <paramref name="row"/> holds a real token.</summary>
    public bool IsValid(int row, int slot) => _valid[row][slot];

    internal void EnsureCapacity(int needed)
    {
        if (needed <= _capacity) return;
        int capacity = Math.Max(needed, _capacity * 2);
        for (int l = 0; l < _keys.Length; l++)
        {
            _keys[l] = Grow(_keys[l], capacity);
            _values[l] = Grow(_values[l], capacity);
        }
        for (int b = 0; b < BatchSize; b++)
        {
            Array.Resize(ref _valid[b], capacity);
            Array.Resize(ref _positions[b], capacity);
        }
        _capacity = capacity;
    }

    Tensor? Grow(Tensor? buffer, int capacity)
    {
        if (buffer is null) return null;
        var grown = zeros(new long[] { BatchSize, _kvHeads, capacity, _headDim }, _dtype, _device);
        grown.DetachFromDisposeScope();
        grown.narrow(2, 0, Length).copy_(buffer.narrow(2, 0, Length));
        buffer.Dispose();
        return grown;
    }

    /// <summary>Records the validity and positions of <paramref name="count"/> new slots starting at <see cref="Length"/>.</summary>
    internal void Reserve(int count, bool[,] valid, long[,] positions)
    {
        EnsureCapacity(Length + count);
        for (int b = 0; b < BatchSize; b++)
            for (int t = 0; t < count; t++)
            {
                _valid[b][Length + t] = valid[b, t];
                _positions[b][Length + t] = positions[b, t];
            }
    }

    /// <summary>Writes a layer's new keys/values [batch, kv_heads, count, head_dim] after the filled slots; returns the full views.</summary>
    internal (Tensor Keys, Tensor Values) Write(int layer, Tensor keys, Tensor values)
    {
        int count = (int)keys.shape[2];
        _keys[layer] ??= NewBuffer();
        _values[layer] ??= NewBuffer();
        _keys[layer]!.narrow(2, Length, count).copy_(keys);
        _values[layer]!.narrow(2, Length, count).copy_(values);
        return (_keys[layer]!.narrow(2, 0, Length + count), _values[layer]!.narrow(2, 0, Length + count));
    }

    /// <summary>
    /// Addresses of a layer's key and value buffers [batch, kv_heads, <see cref="Capacity"/>, head_dim] for the fused
    /// CPU decode step, which writes the new slot itself; allocated on first use as <see cref="Write"/> does.
    /// Valid until the next Reserve, Reorder or Dispose (growth and reordering replace the buffers).
    /// </summary>
    internal (nint Keys, nint Values) LayerMemory(int layer)
    {
        if (_dtype != ScalarType.Float32 || _device.type != DeviceType.CPU)
            throw new InvalidOperationException($"raw cache access needs float32 buffers on the CPU, this cache holds {_dtype} on {_device}");
        _keys[layer] ??= NewBuffer();
        _values[layer] ??= NewBuffer();
        return (Kernels.TensorMemory.Address(_keys[layer]!), Kernels.TensorMemory.Address(_values[layer]!));
    }

    /// <summary>Slots allocated per row (the buffers' third dimension).</summary>
    internal int Capacity => _capacity;

    Tensor NewBuffer() => zeros(new long[] { BatchSize, _kvHeads, _capacity, _headDim }, _dtype, _device).DetachFromDisposeScope();

    /// <summary>Makes the <paramref name="count"/> reserved slots part of the cache.</summary>
    internal void Commit(int count)
    {
        if (_next is not null)
            for (int b = 0; b < BatchSize; b++)
                for (int s = Length; s < Length + count; s++)
                    if (_valid[b][s]) _next[b] = Math.Max(_next[b], _positions[b][s] + 1);
        Length += count;
    }

    internal bool[] ValidRow(int row) => _valid[row];
    internal long[] PositionRow(int row) => _positions[row];

    /// <summary>Rolls every row back to its first <paramref name="length"/> slots (speculative rejection, stop handling).</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), $"cannot truncate a cache of length {Length} to {length}");
        Length = length;
        _next = null;
    }

    /// <summary>
    /// Rebuilds the batch from the given source rows (beam search reordering, or repeating one prompt's cache for
    /// N samples); the batch size becomes rows.Length.
    /// </summary>
    public void Reorder(IReadOnlyList<long> rows)
    {
        foreach (var r in rows)
            if (r < 0 || r >= BatchSize) throw new ArgumentOutOfRangeException(nameof(rows), $"row {r} is outside a batch of {BatchSize}");
        using (var index = tensor(rows.ToArray(), device: _device))
            for (int l = 0; l < _keys.Length; l++)
            {
                _keys[l] = Replace(_keys[l], t => t.index_select(0, index));
                _values[l] = Replace(_values[l], t => t.index_select(0, index));
            }
        _valid = rows.Select(r => (bool[])_valid[r].Clone()).ToArray();
        _positions = rows.Select(r => (long[])_positions[r].Clone()).ToArray();
        _next = _next is null ? null : rows.Select(r => _next[r]).ToArray();
        BatchSize = rows.Count;
    }

    /// <summary>
    /// Keeps, after the first <paramref name="prefix"/> slots, only the listed slots (in order), moving them to
    /// follow the prefix: the accepted path of a tree-attention verify step. Every row keeps the same slots.
    /// </summary>
    public void KeepSlots(int prefix, IReadOnlyList<int> slots)
    {
        if (prefix > Length || slots.Any(s => s < prefix || s >= Length))
            throw new ArgumentOutOfRangeException(nameof(slots), $"slots must lie in [{prefix}, {Length})");
        if (slots.Count > 0)
        {
            if (_dtype == ScalarType.Float32 && _device.type == DeviceType.CPU) CompactInPlace(prefix, slots);
            else
            {
                using var index = tensor(slots.Select(s => (long)s).ToArray(), device: _device);
                for (int l = 0; l < _keys.Length; l++)
                    foreach (var buffer in new[] { _keys[l], _values[l] })
                    {
                        if (buffer is null) continue;
                        using var kept = buffer.index_select(2, index);
                        buffer.narrow(2, prefix, slots.Count).copy_(kept);
                    }
            }
            for (int b = 0; b < BatchSize; b++)
            {
                var valid = slots.Select(s => _valid[b][s]).ToArray();
                var positions = slots.Select(s => _positions[b][s]).ToArray();
                valid.CopyTo(_valid[b], prefix);
                positions.CopyTo(_positions[b], prefix);
            }
        }
        Length = prefix + slots.Count;
        _next = null;
    }

    /// <summary>
    /// KeepSlots on float32 CPU buffers as plain copies of head_dim floats per (row, kv head, kept slot): a Medusa round
    /// keeps a handful of slots, where the torch ops (an index_select and a copy per buffer) cost hundreds of microseconds.
    /// The kept vectors are staged first, since a kept slot may lie where an earlier one lands.
    /// </summary>
    unsafe void CompactInPlace(int prefix, IReadOnlyList<int> slots)
    {
        var staged = new float[slots.Count * _headDim];
        long bytes = _headDim * sizeof(float);
        fixed (float* stage = staged)
            foreach (var buffer in _keys.Concat(_values))
            {
                if (buffer is null) continue;
                float* data = Kernels.TensorMemory.Floats(buffer);
                for (long row = 0; row < (long)BatchSize * _kvHeads; row++)
                {
                    float* slotsOfRow = data + row * _capacity * _headDim;
                    for (int i = 0; i < slots.Count; i++) Buffer.MemoryCopy(slotsOfRow + (long)slots[i] * _headDim, stage + (long)i * _headDim, bytes, bytes);
                    Buffer.MemoryCopy(stage, slotsOfRow + (long)prefix * _headDim, staged.Length * sizeof(float), staged.Length * sizeof(float));
                }
            }
    }

    /// <summary>An independent copy (a branch that continues differently from the same prefix).</summary>
    public KvCache Fork()
    {
        var copy = new KvCache(_keys.Length, BatchSize, _kvHeads, _headDim, _dtype, _device, _capacity) { Length = Length };
        for (int l = 0; l < _keys.Length; l++)
        {
            copy._keys[l] = _keys[l]?.clone().DetachFromDisposeScope();
            copy._values[l] = _values[l]?.clone().DetachFromDisposeScope();
        }
        copy._valid = _valid.Select(r => (bool[])r.Clone()).ToArray();
        copy._positions = _positions.Select(r => (long[])r.Clone()).ToArray();
        copy._next = (long[]?)_next?.Clone();
        return copy;
    }

    /// <summary>Bytes held by the key/value buffers.</summary>
    public long Bytes => _keys.Concat(_values).Where(t => t is not null).Sum(t => t!.NumberOfElements * t.ElementSize);

    static Tensor? Replace(Tensor? old, Func<Tensor, Tensor> make)
    {
        if (old is null) return null;
        var fresh = make(old).DetachFromDisposeScope();
        old.Dispose();
        return fresh;
    }

    /// <summary>Releases the buffers.</summary>
    public void Dispose()
    {
        for (int l = 0; l < _keys.Length; l++)
        {
            _keys[l]?.Dispose();
            _values[l]?.Dispose();
            _keys[l] = _values[l] = null;
        }
    }
}
