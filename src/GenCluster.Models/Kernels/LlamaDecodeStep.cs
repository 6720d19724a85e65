using GenCluster.Models.Architectures;
using GenCluster.Models.Config;
using GenCluster.Models.Runtime;
using static TorchSharp.torch;

namespace GenCluster.Models.Kernels;

/// <summary>
/// One decode step of the Llama family on raw float32 memory, in the manner of llama2.c's run.c: every row feeds one
/// new token, and the whole step (embedding, per layer RMSNorm → qkv → RoPE → cache append → attention → o_proj →
/// residual → RMSNorm → gate/up → SwiGLU → down → residual, final norm, LM head) runs as C# loops and SIMD products
/// on the worker pool, with no torch op but the two output tensors. The numbers are those of <see cref="Llama"/>'s
/// torch path (same formulas and rounding order; sums may differ in the last bits).
/// </summary>
internal sealed unsafe class LlamaDecodeStep : IDisposable
{
    readonly Llama.Layer[] _layers;
    readonly nint[] _inputNorms, _postNorms;
    readonly float* _embed; // null when the rows come from the (tied) LM head
    readonly float* _finalNorm;
    readonly PackedLinear _lmHead;
    readonly RotaryEmbedding _rope;
    readonly DecodeScratch?[] _scratch = new DecodeScratch?[DotKernels.MaxBatch + 1];
    readonly object _gate = new();
    readonly int _vocab, _hidden, _heads, _kvHeads, _headDim, _qSize, _kvSize, _intermediate;
    readonly int? _slidingWindow;
    readonly float _eps;

    /// <summary>Steps run so far (tests check that the fused path is the one taken).</summary>
    internal long Steps { get; private set; }

    /// <summary>Takes the model's tensors (not ownership); every linear layer must use the CPU kernels.</summary>
    public LlamaDecodeStep(ModelConfig config, IReadOnlyList<Llama.Layer> layers, Tensor? embed, Tensor finalNorm, PackedLinear lmHead, RotaryEmbedding rope)
    {
        if (!lmHead.UsesKernels || layers.Any(l => !l.Qkv.UsesKernels || !l.O.UsesKernels || !l.GateUp.UsesKernels || !l.Down.UsesKernels))
            throw new ArgumentException("the fused decode step needs every linear layer on the CPU kernels");
        (_vocab, _hidden, _heads, _kvHeads, _headDim) = (config.VocabSize, config.HiddenSize, config.NumHeads, config.NumKvHeads, config.HeadDim);
        (_qSize, _kvSize, _intermediate) = (_heads * _headDim, _kvHeads * _headDim, config.IntermediateSize);
        (_slidingWindow, _eps) = (config.SlidingWindow, (float)config.NormEps);
        _layers = layers.ToArray();
        _inputNorms = _layers.Select(l => (nint)TensorMemory.Floats(l.InputNorm)).ToArray();
        _postNorms = _layers.Select(l => (nint)TensorMemory.Floats(l.PostNorm)).ToArray();
        _embed = embed is null ? null : TensorMemory.Floats(embed);
        _finalNorm = TensorMemory.Floats(finalNorm);
        (_lmHead, _rope) = (lmHead, rope);
    }

    /// <summary>A plain decode step: one real token per row, at most 8 rows, default positions, no tree mask.</summary>
    public static bool Handles(ForwardRequest request)
    {
        var ids = request.InputIds;
        int batch = ids.GetLength(0);
        if (ids.GetLength(1) != 1 || batch < 1 || batch > DotKernels.MaxBatch || request.TreeMask is not null || request.Positions is not null) return false;
        if (request.AttentionMask is not { } mask) return true;
        if (mask.GetLength(0) != batch || mask.GetLength(1) != 1) return false;
        for (int b = 0; b < batch; b++) if (mask[b, 0] == 0) return false;
        return true;
    }

    /// <summary>Runs the step, appending each row's key/value to <paramref name="cache"/>; logits [batch, 1, vocab].</summary>
    public ForwardResult Run(ForwardRequest request, KvCache cache)
    {
        lock (_gate)
        {
            var ids = request.InputIds;
            int batch = ids.GetLength(0);
            for (int b = 0; b < batch; b++)
                if (ids[b, 0] < 0 || ids[b, 0] >= _vocab) throw new ArgumentOutOfRangeException(nameof(request), $"token id {ids[b, 0]} is outside the vocabulary [0, {_vocab})");
            var positions = StepLayout.Reserve(request, cache);
            int past = cache.Length;
            var s = _scratch[batch] ??= new DecodeScratch(batch, _hidden, _qSize + 2 * _kvSize, _qSize, _intermediate, _heads);
            s.EnsureSlots(past + 1);
            var logits = empty(new long[] { batch, 1, _vocab }, ScalarType.Float32);
            var hidden = request.ReturnHidden ? empty(new long[] { batch, 1, _hidden }, ScalarType.Float32) : null;

            for (int b = 0; b < batch; b++) Embed(ids[b, 0], s.Residual + (long)b * _hidden);
            long maxPosition = 0;
            for (int b = 0; b < batch; b++) maxPosition = Math.Max(maxPosition, positions[b, 0]);
            var (cos, sin) = _rope.Covering(maxPosition);
            float* cosTable = TensorMemory.Floats(cos), sinTable = TensorMemory.Floats(sin);
            for (int l = 0; l < _layers.Length; l++)
            {
                var layer = _layers[l];
                RowKernels.RmsNorm(s.Residual, (float*)_inputNorms[l], s.Normed, batch, _hidden, _eps);
                layer.Qkv.Multiply(s.Normed, batch, s.Qkv);
                var (keys, values) = cache.LayerMemory(l);
                AppendRotated(s, (float*)keys, (float*)values, cache.Capacity, past, positions, cosTable, sinTable);
                Attend(s, (float*)keys, (float*)values, cache, past);
                layer.O.Multiply(s.Attended, batch, s.Projected);
                RowKernels.Add(s.Residual, s.Projected, (long)batch * _hidden);

                RowKernels.RmsNorm(s.Residual, (float*)_postNorms[l], s.Normed, batch, _hidden, _eps);
                layer.GateUp.Multiply(s.Normed, batch, s.GateUp);
                RowKernels.SiluGate(s.GateUp, s.Gated, batch, _intermediate);
                layer.Down.Multiply(s.Gated, batch, s.Projected);
                RowKernels.Add(s.Residual, s.Projected, (long)batch * _hidden);
            }
            cache.Commit(1);

            float* final = hidden is null ? s.Normed : TensorMemory.Floats(hidden);
            RowKernels.RmsNorm(s.Residual, _finalNorm, final, batch, _hidden, _eps);
            _lmHead.Multiply(final, batch, TensorMemory.Floats(logits));
            Steps++;
            return new ForwardResult(logits, hidden);
        }
    }

    void Embed(long id, float* destination)
    {
        if (_embed == null) _lmHead.CopyRow(id, destination);
        else Buffer.MemoryCopy(_embed + id * _hidden, destination, _hidden * sizeof(float), _hidden * sizeof(float));
    }

    /// <summary>Rotates q in place and writes rotated k and v into slot <paramref name="slot"/> of the cache buffers [batch, kv_heads, capacity, d].</summary>
    void AppendRotated(DecodeScratch s, float* keys, float* values, int capacity, int slot, long[,] positions, float* cosTable, float* sinTable)
    {
        int width = _qSize + 2 * _kvSize;
        long bytes = _headDim * sizeof(float);
        for (int b = 0; b < s.Batch; b++)
        {
            float* q = s.Qkv + (long)b * width, k = q + _qSize, v = k + _kvSize;
            float* cos = cosTable + positions[b, 0] * _headDim, sin = sinTable + positions[b, 0] * _headDim;
            for (int h = 0; h < _heads; h++) RowKernels.Rotate(q + h * _headDim, cos, sin, q + h * _headDim, _headDim);
            for (int h = 0; h < _kvHeads; h++)
            {
                long offset = (((long)b * _kvHeads + h) * capacity + slot) * _headDim;
                RowKernels.Rotate(k + h * _headDim, cos, sin, keys + offset, _headDim);
                Buffer.MemoryCopy(v + h * _headDim, values + offset, bytes, bytes);
            }
        }
    }

    /// <summary>Attention for every (row, query head) in parallel; the query heads of a group share one key/value head.</summary>
    void Attend(DecodeScratch s, float* keys, float* values, KvCache cache, int past)
    {
        int width = _qSize + 2 * _kvSize, groups = _heads / _kvHeads, capacity = cache.Capacity;
        WorkerPool.Shared.Run(s.Batch * _heads, c =>
        {
            int b = c / _heads, h = c % _heads;
            long kvOffset = ((long)b * _kvHeads + h / groups) * capacity * _headDim;
            CachedAttention.Attend(s.Qkv + (long)b * width + h * _headDim, keys + kvOffset, values + kvOffset, _headDim, past,
                cache.ValidRow(b), cache.PositionRow(b), _slidingWindow, s.Scores + (long)c * s.ScoreStride, s.Attended + (long)b * _qSize + h * _headDim);
        });
    }

    /// <summary>Frees the scratch buffers (the weights belong to the model).</summary>
    public void Dispose()
    {
        foreach (var scratch in _scratch) scratch?.Dispose();
        Array.Clear(_scratch);
    }
}
