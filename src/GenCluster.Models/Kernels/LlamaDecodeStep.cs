using GenCluster.Models.Architectures;
using GenCluster.Models.Config;
using GenCluster.Models.Runtime;
using static TorchSharp.torch;

namespace GenCluster.Models.Kernels;

/// <summary>
/// A forward pass of the Llama family over a few new tokens on raw float32 memory, in the manner of llama2.c's run.c:
/// a decode step (one token per row), a speculative or Medusa tree verification (several tokens of one row, explicit
/// positions and a tree mask) or a short prefill. Every new token is one activation row, and the whole pass (embedding,
/// per layer RMSNorm → qkv → RoPE → cache append → attention → o_proj → residual → RMSNorm → gate/up → SwiGLU → down →
/// residual, final norm, LM head) runs as C# loops and SIMD products on the worker pool, with no torch op but the
/// output tensors. The numbers are those of <see cref="Llama"/>'s torch path (same formulas and rounding order; sums
/// may differ in the last bits).
/// </summary>
internal sealed unsafe class LlamaDecodeStep : IDisposable
{
    /// <summary>
    /// Most new tokens (over all rows) one fused pass takes: a Medusa tree plus its root fits; longer prefills are
    /// torch's large matrix products, which beat 8-row kernels there.
    /// </summary>
    public const int MaxRows = 64;

    readonly Llama.Layer[] _layers;
    readonly nint[] _inputNorms, _postNorms;
    readonly float* _embed; // null when the rows come from the (tied) LM head
    readonly float* _finalNorm;
    readonly PackedLinear _lmHead;
    readonly RotaryEmbedding _rope;
    readonly object _gate = new();
    readonly int _vocab, _hidden, _heads, _kvHeads, _headDim, _qSize, _kvSize, _intermediate;
    readonly int? _slidingWindow;
    readonly float _eps;
    DecodeScratch? _scratch;

    /// <summary>Fused passes run so far (tests check that the fused path is the one taken).</summary>
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

    /// <summary>At most <see cref="MaxRows"/> new tokens in all, every one real (no left padding among them).</summary>
    public static bool Handles(ForwardRequest request)
    {
        var ids = request.InputIds;
        int batch = ids.GetLength(0), count = ids.GetLength(1);
        if (batch < 1 || count < 1 || batch * count > MaxRows) return false;
        if (request.AttentionMask is not { } mask) return true;
        if (mask.GetLength(0) != batch || mask.GetLength(1) != count) return false;
        foreach (var m in mask) if (m == 0) return false;
        return true;
    }

    /// <summary>Runs the pass, appending every new token's key/value to <paramref name="cache"/>; logits [batch, new or 1, vocab].</summary>
    public ForwardResult Run(ForwardRequest request, KvCache cache)
    {
        lock (_gate)
        {
            var ids = request.InputIds;
            int batch = ids.GetLength(0), count = ids.GetLength(1), rows = batch * count;
            foreach (var id in ids)
                if (id < 0 || id >= _vocab) throw new ArgumentOutOfRangeException(nameof(request), $"token id {id} is outside the vocabulary [0, {_vocab})");
            var positions = StepLayout.Reserve(request, cache);
            var step = new StepRows(batch, count, cache.Length, request.TreeMask);
            var s = Scratch(rows);
            s.EnsureSlots(step.Past + count);
            int outputs = request.Outputs == OutputPositions.All ? count : 1;
            var logits = empty(new long[] { batch, outputs, _vocab }, ScalarType.Float32);
            var hidden = request.ReturnHidden ? empty(new long[] { batch, outputs, _hidden }, ScalarType.Float32) : null;

            long maxPosition = 0;
            for (int r = 0; r < rows; r++)
            {
                Embed(ids[r / count, r % count], s.Residual + (long)r * _hidden);
                maxPosition = Math.Max(maxPosition, positions[r / count, r % count]);
            }
            var (cos, sin) = _rope.Covering(maxPosition);
            float* cosTable = TensorMemory.Floats(cos), sinTable = TensorMemory.Floats(sin);
            for (int l = 0; l < _layers.Length; l++)
            {
                var layer = _layers[l];
                RowKernels.RmsNorm(s.Residual, (float*)_inputNorms[l], s.Normed, rows, _hidden, _eps);
                layer.Qkv.Multiply(s.Normed, rows, s.Qkv);
                var (keys, values) = cache.LayerMemory(l);
                AppendRotated(s, step, (float*)keys, (float*)values, cache.Capacity, positions, cosTable, sinTable);
                Attend(s, step, (float*)keys, (float*)values, cache);
                layer.O.Multiply(s.Attended, rows, s.Projected);
                RowKernels.Add(s.Residual, s.Projected, (long)rows * _hidden);

                RowKernels.RmsNorm(s.Residual, (float*)_postNorms[l], s.Normed, rows, _hidden, _eps);
                layer.GateUp.Multiply(s.Normed, rows, s.GateUp);
                RowKernels.SiluGate(s.GateUp, s.Gated, rows, _intermediate);
                layer.Down.Multiply(s.Gated, rows, s.Projected);
                RowKernels.Add(s.Residual, s.Projected, (long)rows * _hidden);
            }
            cache.Commit(count);

            float* final = hidden is null ? s.Normed : TensorMemory.Floats(hidden);
            if (outputs == count) RowKernels.RmsNorm(s.Residual, _finalNorm, final, rows, _hidden, _eps);
            else // only each row's last token: its final state packed into row b
                for (int b = 0; b < batch; b++)
                    RowKernels.RmsNorm(s.Residual + ((long)b * count + count - 1) * _hidden, _finalNorm, final + (long)b * _hidden, 1, _hidden, _eps);
            _lmHead.Multiply(final, batch * outputs, TensorMemory.Floats(logits));
            Steps++;
            return new ForwardResult(logits, hidden);
        }
    }

    DecodeScratch Scratch(int rows)
    {
        if (_scratch is { } s && s.Rows >= rows) return s;
        _scratch?.Dispose();
        // Decode batches (up to 8 rows) never reallocate; verification grows the buffers once to its size.
        return _scratch = new DecodeScratch(Math.Max(rows, DotKernels.MaxBatch), _hidden, _qSize + 2 * _kvSize, _qSize, _intermediate, _heads);
    }

    void Embed(long id, float* destination)
    {
        if (_embed == null) _lmHead.CopyRow(id, destination);
        else Buffer.MemoryCopy(_embed + id * _hidden, destination, _hidden * sizeof(float), _hidden * sizeof(float));
    }

    /// <summary>Rotates q in place and writes rotated k and v into each token's slot of the cache buffers [batch, kv_heads, capacity, d].</summary>
    void AppendRotated(DecodeScratch s, StepRows step, float* keys, float* values, int capacity, long[,] positions, float* cosTable, float* sinTable)
    {
        int width = _qSize + 2 * _kvSize;
        long bytes = _headDim * sizeof(float);
        for (int r = 0; r < step.Rows; r++)
        {
            var (b, t) = step.Of(r);
            float* q = s.Qkv + (long)r * width, k = q + _qSize, v = k + _kvSize;
            float* cos = cosTable + positions[b, t] * _headDim, sin = sinTable + positions[b, t] * _headDim;
            for (int h = 0; h < _heads; h++) RowKernels.Rotate(q + h * _headDim, cos, sin, q + h * _headDim, _headDim);
            for (int h = 0; h < _kvHeads; h++)
            {
                long offset = (((long)b * _kvHeads + h) * capacity + step.Past + t) * _headDim;
                RowKernels.Rotate(k + h * _headDim, cos, sin, keys + offset, _headDim);
                Buffer.MemoryCopy(v + h * _headDim, values + offset, bytes, bytes);
            }
        }
    }

    /// <summary>Attention for every (new token, query head) in parallel; the query heads of a group share one key/value head.</summary>
    void Attend(DecodeScratch s, StepRows step, float* keys, float* values, KvCache cache)
    {
        int width = _qSize + 2 * _kvSize, groups = _heads / _kvHeads, capacity = cache.Capacity;
        WorkerPool.Shared.Run(step.Rows * _heads, c =>
        {
            int r = c / _heads, h = c % _heads;
            var (b, t) = step.Of(r);
            long kvOffset = ((long)b * _kvHeads + h / groups) * capacity * _headDim;
            CachedAttention.Attend(s.Qkv + (long)r * width + h * _headDim, keys + kvOffset, values + kvOffset, _headDim, step.Past, t, step.Count,
                step.TreeMask, cache.ValidRow(b), cache.PositionRow(b), _slidingWindow, s.Scores + (long)c * s.ScoreStride, s.Attended + (long)r * _qSize + h * _headDim);
        });
    }

    /// <summary>Frees the scratch buffers (the weights belong to the model).</summary>
    public void Dispose()
    {
        _scratch?.Dispose();
        _scratch = null;
    }

    /// <summary>
    /// The activation rows of a pass: row r is new token t = r mod count of sequence b = r / count, written at cache
    /// slot past + t.
    /// </summary>
    readonly record struct StepRows(int Batch, int Count, int Past, bool[,]? TreeMask)
    {
        public int Rows => Batch * Count;

        public (int Sequence, int Token) Of(int row) => (row / Count, row % Count);
    }
}
