using GenCluster.Models.Config;
using GenCluster.Models.Kernels;
using GenCluster.Models.Runtime;
using GenCluster.Models.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GenCluster.Models.Architectures;

/// <summary>
/// The Llama family (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama) as transformers computes it:
/// x = embed(ids); per layer x += o(attn(rope(q), rope(k), v)) over RMSNorm(x), then
/// x += down(silu(gate(h)) * up(h)) over RMSNorm(x); logits = lm_head(RMSNorm(x)).
/// q/k/v and gate/up are stored fused so a decode step issues fewer, larger matrix products.
/// </summary>
public sealed class Llama : ICausalLM
{
    internal sealed record Layer(Tensor InputNorm, PackedLinear Qkv, PackedLinear O, Tensor PostNorm, PackedLinear GateUp, PackedLinear Down);

    readonly Tensor? _embed; // null when tied: rows come from the LM head
    readonly Tensor _norm;
    readonly PackedLinear _lmHead;
    readonly Layer[] _layers;
    readonly RotaryEmbedding _rope;
    readonly int _qSize, _kvSize;
    readonly LlamaDecodeStep? _decodeStep; // the fused CPU pass (decode steps, verification, short prefills), when the fast path is on
    readonly Scalar _eps; // RMSNorm's epsilon, held (see HeldScalars)

    public ModelConfig Config { get; }
    public Device Device { get; }
    public ScalarType Dtype { get; }

    Llama(ModelConfig config, Checkpoint checkpoint, Precision precision, Device device)
    {
        (Config, Dtype, Device) = (config, precision.Compute, device);
        var dtype = precision.Compute;
        int h = config.HiddenSize, d = config.HeadDim, v = config.VocabSize, i = config.IntermediateSize;
        _qSize = config.NumHeads * d;
        _kvSize = config.NumKvHeads * d;
        Tensor W(string name, params long[] shape) => checkpoint.Load(name, shape, dtype, device).DetachFromDisposeScope();
        Tensor Fused(params Tensor[] parts)
        {
            var fused = cat(parts, 0).DetachFromDisposeScope();
            foreach (var p in parts) p.Dispose();
            return fused;
        }
        PackedLinear Linear(Tensor weight, Tensor? bias = null) => new(weight, bias, precision.Weights, precision.CpuKernels, precision.BatchInvariant);
        bool tied = config.TieWordEmbeddings || !checkpoint.Contains("lm_head.weight");
        var embed = W("model.embed_tokens.weight", v, h);
        _layers = new Layer[config.NumLayers];
        for (int l = 0; l < config.NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            var qkv = Fused(W(p + "self_attn.q_proj.weight", _qSize, h), W(p + "self_attn.k_proj.weight", _kvSize, h), W(p + "self_attn.v_proj.weight", _kvSize, h));
            Tensor? bias = config.AttentionBias
                ? Fused(W(p + "self_attn.q_proj.bias", _qSize), W(p + "self_attn.k_proj.bias", _kvSize), W(p + "self_attn.v_proj.bias", _kvSize))
                : null;
            _layers[l] = new Layer(W(p + "input_layernorm.weight", h), Linear(qkv, bias), Linear(W(p + "self_attn.o_proj.weight", h, _qSize)),
                W(p + "post_attention_layernorm.weight", h),
                Linear(Fused(W(p + "mlp.gate_proj.weight", i, h), W(p + "mlp.up_proj.weight", i, h))), Linear(W(p + "mlp.down_proj.weight", h, i)));
        }
        _norm = W("model.norm.weight", h);
        _embed = tied ? null : embed;
        _lmHead = Linear(tied ? embed : W("lm_head.weight", v, h));
        _rope = new RotaryEmbedding(config, dtype, device);
        _eps = config.NormEps.ToScalar();
        if (precision.CpuKernels && device.type == DeviceType.CPU && dtype == ScalarType.Float32)
            _decodeStep = new LlamaDecodeStep(config, _layers, _embed, _norm, _lmHead, _rope);
    }

    /// <summary>Whether forwards the fused pass handles take it (tests turn it off to compare with the per-op path).</summary>
    internal bool FusedDecode { get; set; } = true;

    /// <summary>Forwards the fused pass has run.</summary>
    internal long FusedSteps => _decodeStep?.Steps ?? 0;

    /// <summary>Builds the model from a checkpoint, converting weights to <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static Llama Load(ModelConfig config, Checkpoint checkpoint, Precision precision, Device device) => new(config, checkpoint, precision, device);

    public KvCache CreateCache(int batchSize, int capacity = 0) =>
        new(Config.NumLayers, batchSize, Config.NumKvHeads, Config.HeadDim, Dtype, Device, capacity);

    public ForwardResult Forward(ForwardRequest request, KvCache cache)
    {
        if (_decodeStep is not null && FusedDecode && LlamaDecodeStep.Handles(request)) return _decodeStep.Run(request, cache);
        using var scope = NewDisposeScope();
        using var layout = StepLayout.Prepare(request, cache, Config.NumHeads / Config.NumKvHeads, Config.SlidingWindow, Device, Dtype);
        long batch = request.InputIds.GetLength(0), count = request.InputIds.GetLength(1);
        var ids = request.InputTensor(Device);
        var x = (_embed?.index_select(0, ids.view(-1)) ?? _lmHead.Rows(ids.view(-1))).view(batch, count, -1);
        var (cos, sin) = _rope.For(layout.Positions, layout.MaxPosition);
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var qkv = layer.Qkv.Forward(RmsNorm(x, layer.InputNorm));
            var q = qkv.narrow(2, 0, _qSize).view(batch, count, Config.NumHeads, Config.HeadDim).transpose(1, 2);
            var k = qkv.narrow(2, _qSize, _kvSize).view(batch, count, Config.NumKvHeads, Config.HeadDim).transpose(1, 2);
            var v = qkv.narrow(2, _qSize + _kvSize, _kvSize).view(batch, count, Config.NumKvHeads, Config.HeadDim).transpose(1, 2);
            var (keys, values) = cache.Write(l, RotaryEmbedding.Apply(k, cos, sin), v);
            x = x.add(layer.O.Forward(Attention.Attend(RotaryEmbedding.Apply(q, cos, sin), keys, values, layout.Mask)), HeldScalars.One);
            var gateUp = layer.GateUp.Forward(RmsNorm(x, layer.PostNorm));
            var gate = gateUp.narrow(2, 0, Config.IntermediateSize);
            var up = gateUp.narrow(2, Config.IntermediateSize, Config.IntermediateSize);
            x = x.add(layer.Down.Forward(F.silu(gate) * up), HeldScalars.One);
        }
        cache.Commit((int)count);
        if (request.Outputs == OutputPositions.Last) x = x.narrow(1, count - 1, 1);
        var hidden = RmsNorm(x, _norm);
        var logits = _lmHead.Forward(hidden).to(ScalarType.Float32);
        return new ForwardResult(logits.MoveToOuterDisposeScope(), request.ReturnHidden ? hidden.MoveToOuterDisposeScope() : null);
    }

    /// <summary>
    /// Several passes over their own caches (continuous batching across sessions): on the fused CPU pass, consecutive
    /// passes it handles are packed into batches of at most <see cref="LlamaDecodeStep.MaxRows"/> new tokens, each one
    /// fused pass whose products take every row; other passes (long or padded prefills, the torch path) run alone.
    /// </summary>
    public IReadOnlyList<ForwardResult> Forward(IReadOnlyList<CachedForward> passes)
    {
        if (_decodeStep is null || !FusedDecode) return CachedForward.OneByOne(this, passes);
        return CachedForward.RunAtomically(passes, FusedGroups(passes),
            group => group.Count == 1 && !LlamaDecodeStep.Handles(group[0].Request) ? [Forward(group[0].Request, group[0].Cache)] : _decodeStep.Run(group));
    }

    /// <summary>Sizes of consecutive groups: passes the fused pass handles, packed up to its row limit; every other pass alone.</summary>
    static IEnumerable<int> FusedGroups(IReadOnlyList<CachedForward> passes)
    {
        int size = 0, rows = 0;
        foreach (var pass in passes)
        {
            int tokens = pass.Request.InputIds.Length;
            bool fused = LlamaDecodeStep.Handles(pass.Request);
            if (size > 0 && (!fused || rows + tokens > LlamaDecodeStep.MaxRows))
            {
                yield return size;
                (size, rows) = (0, 0);
            }
            if (!fused) yield return 1;
            else (size, rows) = (size + 1, rows + tokens);
        }
        if (size > 0) yield return size;
    }

    /// <summary>
    /// RMSNorm as transformers: normalise in float32, cast back, then scale. x · x and the held epsilon are pow(2) and
    /// + eps without the implicit scalars TorchSharp would create (see HeldScalars; the same numbers: torch's pow
    /// computes an exponent of 2 as x · x).
    /// </summary>
    Tensor RmsNorm(Tensor x, Tensor weight)
    {
        var x32 = x.to(ScalarType.Float32);
        var normed = x32 * (x32 * x32).mean(new long[] { -1 }, keepdim: true).add(_eps, HeldScalars.One).rsqrt();
        return weight * normed.to(Dtype);
    }

    public void Dispose()
    {
        _decodeStep?.Dispose();
        foreach (var layer in _layers)
        {
            layer.InputNorm.Dispose();
            layer.PostNorm.Dispose();
            foreach (var linear in new[] { layer.Qkv, layer.O, layer.GateUp, layer.Down }) linear.Dispose();
        }
        _lmHead.Dispose();
        _embed?.Dispose();
        _norm.Dispose();
        _rope.Dispose();
        _eps.Dispose();
    }
}
