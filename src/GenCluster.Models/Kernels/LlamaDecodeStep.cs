using GenCluster.Models.Architectures;
using GenCluster.Models.Config;
using GenCluster.Models.Runtime;
using static TorchSharp.torch;

namespace GenCluster.Models.Kernels;

/// <summary>
/// A forward pass of the Llama family over a few new tokens on raw float32 memory, in the manner of llama2.c's run.c:
/// a decode step (one token per row), a speculative or Medusa tree verification (several tokens of one row, explicit
/// positions and a tree mask) or a short prefill, over one KV cache or several (the decode steps of concurrent sessions,
/// <see cref="PassRows"/>). Every new token is one activation row, and the whole pass (embedding,
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
    public ForwardResult Run(ForwardRequest request, KvCache cache) => Run([new CachedForward(request, cache)])[0];

    /// <summary>
    /// Runs several passes (each <see cref="Handles"/>, at most <see cref="MaxRows"/> new tokens in all, distinct caches)
    /// as one: every product takes the rows of all of them, each row's attention reads its own cache. One result per pass.
    /// </summary>
    public IReadOnlyList<ForwardResult> Run(IReadOnlyList<CachedForward> passes)
    {
        lock (_gate)
        {
            foreach (var pass in passes)
                foreach (var id in pass.Request.InputIds)
                    if (id < 0 || id >= _vocab) throw new ArgumentOutOfRangeException(nameof(passes), $"token id {id} is outside the vocabulary [0, {_vocab})");
            var step = PassRows.Reserve(passes);
            int rows = step.Rows;
            var s = Scratch(rows);
            s.EnsureSlots(step.MostSlots);
            for (int r = 0; r < rows; r++)
            {
                var (p, b, t) = step.Of(r);
                Embed(step.Passes[p].Request.InputIds[b, t], s.Residual + (long)r * _hidden);
            }
            var (cos, sin) = _rope.Covering(step.MaxPosition);
            float* cosTable = TensorMemory.Floats(cos), sinTable = TensorMemory.Floats(sin);
            var keys = new nint[passes.Count];
            var values = new nint[passes.Count];
            for (int l = 0; l < _layers.Length; l++)
            {
                var layer = _layers[l];
                RowKernels.RmsNorm(s.Residual, (float*)_inputNorms[l], s.Normed, rows, _hidden, _eps);
                layer.Qkv.Multiply(s.Normed, rows, s.Qkv);
                for (int p = 0; p < passes.Count; p++) (keys[p], values[p]) = passes[p].Cache.LayerMemory(l);
                AppendRotated(s, step, keys, values, cosTable, sinTable);
                Attend(s, step, keys, values);
                layer.O.Multiply(s.Attended, rows, s.Projected);
                RowKernels.Add(s.Residual, s.Projected, (long)rows * _hidden);

                RowKernels.RmsNorm(s.Residual, (float*)_postNorms[l], s.Normed, rows, _hidden, _eps);
                layer.GateUp.Multiply(s.Normed, rows, s.GateUp);
                RowKernels.SiluGate(s.GateUp, s.Gated, rows, _intermediate);
                layer.Down.Multiply(s.Gated, rows, s.Projected);
                RowKernels.Add(s.Residual, s.Projected, (long)rows * _hidden);
            }
            foreach (var pass in step.Passes) pass.Cache.Commit(pass.Count);
            var results = Outputs(s, step);
            Steps++;
            return results;
        }
    }

    /// <summary>
    /// Final norm and LM head over the output rows of every pass at once (packed in <see cref="DecodeScratch.Normed"/>),
    /// then each pass's logits as a view [batch, outputs, vocab] of the shared logits, and its hidden states if asked.
    /// </summary>
    IReadOnlyList<ForwardResult> Outputs(DecodeScratch s, PassRows step)
    {
        foreach (var pass in step.Passes)
        {
            float* final = s.Normed + (long)pass.FirstOutput * _hidden, residual = s.Residual + (long)pass.FirstRow * _hidden;
            if (pass.Outputs == pass.Count) RowKernels.RmsNorm(residual, _finalNorm, final, pass.Batch * pass.Count, _hidden, _eps);
            else // only each row's last token: its final state packed into row b
                for (int b = 0; b < pass.Batch; b++)
                    RowKernels.RmsNorm(residual + ((long)b * pass.Count + pass.Count - 1) * _hidden, _finalNorm, final + (long)b * _hidden, 1, _hidden, _eps);
        }
        using var logits = empty(new long[] { step.OutputRows, _vocab }, ScalarType.Float32);
        _lmHead.Multiply(s.Normed, step.OutputRows, TensorMemory.Floats(logits));
        return step.Passes.Select(pass =>
        {
            var shape = new long[] { pass.Batch, pass.Outputs, -1 };
            using var rows = logits.narrow(0, pass.FirstOutput, pass.Batch * pass.Outputs);
            Tensor? hidden = null;
            if (pass.Request.ReturnHidden)
            {
                hidden = empty(new long[] { pass.Batch, pass.Outputs, _hidden }, ScalarType.Float32);
                long bytes = (long)pass.Batch * pass.Outputs * _hidden * sizeof(float);
                Buffer.MemoryCopy(s.Normed + (long)pass.FirstOutput * _hidden, TensorMemory.Floats(hidden), bytes, bytes);
            }
            return new ForwardResult(rows.view(shape), hidden);
        }).ToArray();
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

    /// <summary>Rotates q in place and writes rotated k and v into each token's slot of its pass's cache buffers [batch, kv_heads, capacity, d].</summary>
    void AppendRotated(DecodeScratch s, PassRows step, nint[] keys, nint[] values, float* cosTable, float* sinTable)
    {
        int width = _qSize + 2 * _kvSize;
        long bytes = _headDim * sizeof(float);
        for (int r = 0; r < step.Rows; r++)
        {
            var (p, b, t) = step.Of(r);
            var pass = step.Passes[p];
            float* q = s.Qkv + (long)r * width, k = q + _qSize, v = k + _kvSize;
            long position = pass.Positions[b, t];
            float* cos = cosTable + position * _headDim, sin = sinTable + position * _headDim;
            for (int h = 0; h < _heads; h++) RowKernels.Rotate(q + h * _headDim, cos, sin, q + h * _headDim, _headDim);
            for (int h = 0; h < _kvHeads; h++)
            {
                long offset = (((long)b * _kvHeads + h) * pass.Cache.Capacity + pass.Past + t) * _headDim;
                RowKernels.Rotate(k + h * _headDim, cos, sin, (float*)keys[p] + offset, _headDim);
                Buffer.MemoryCopy(v + h * _headDim, (float*)values[p] + offset, bytes, bytes);
            }
        }
    }

    /// <summary>
    /// Attention for every (new token, query head) of every pass in parallel, each against its own cache; the query heads
    /// of a group share one key/value head.
    /// </summary>
    void Attend(DecodeScratch s, PassRows step, nint[] keys, nint[] values)
    {
        int width = _qSize + 2 * _kvSize, groups = _heads / _kvHeads;
        WorkerPool.Shared.Run(step.Rows * _heads, c =>
        {
            int r = c / _heads, h = c % _heads;
            var (p, b, t) = step.Of(r);
            var pass = step.Passes[p];
            long kvOffset = ((long)b * _kvHeads + h / groups) * pass.Cache.Capacity * _headDim;
            CachedAttention.Attend(s.Qkv + (long)r * width + h * _headDim, (float*)keys[p] + kvOffset, (float*)values[p] + kvOffset, _headDim,
                pass.Past, t, pass.Count, pass.Request.TreeMask, pass.Cache.ValidRow(b), pass.Cache.PositionRow(b), _slidingWindow,
                s.Scores + (long)c * s.ScoreStride, s.Attended + (long)r * _qSize + h * _headDim);
        });
    }

    /// <summary>Frees the scratch buffers (the weights belong to the model).</summary>
    public void Dispose()
    {
        _scratch?.Dispose();
        _scratch = null;
    }
}
