using GenCluster.Models.Config;
using GenCluster.Models.Kernels;
using GenCluster.Models.Runtime;
using GenCluster.Models.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GenCluster.Models.Architectures;

/// <summary>
/// GPT-2 (Radford et al. 2019) as transformers computes it: x = wte(ids) + wpe(positions); per block
/// x += c_proj(attn(c_attn(LN(x)))) and x += c_proj(gelu_new(c_fc(LN(x)))); logits = wte · LN_f(x).
/// Conv1D weights are stored [in, out]; they are transposed once at load into nn.Linear's [out, in].
/// </summary>
public sealed class Gpt2 : ICausalLM
{
    sealed record Block(Tensor Ln1W, Tensor Ln1B, PackedLinear Attn, PackedLinear Proj, Tensor Ln2W, Tensor Ln2B, PackedLinear Fc, PackedLinear FcProj);

    readonly Tensor _wpe, _lnFW, _lnFB;
    readonly Tensor? _wte;          // null when tied: rows come from the LM head
    readonly PackedLinear _lmHead;
    readonly Block[] _blocks;

    public ModelConfig Config { get; }
    public Device Device { get; }
    public ScalarType Dtype { get; }

    Gpt2(ModelConfig config, Checkpoint checkpoint, Precision precision, Device device)
    {
        (Config, Dtype, Device) = (config, precision.Compute, device);
        var dtype = precision.Compute;
        int h = config.HiddenSize, inner = config.IntermediateSize;
        // Some exports prefix every name with "transformer.", others do not.
        string prefix = checkpoint.Contains("transformer.wte.weight") ? "transformer." : "";
        Tensor W(string name, params long[] shape) => checkpoint.Load(prefix + name, shape, dtype, device).DetachFromDisposeScope();
        PackedLinear Conv1D(string name, long input, long output)
        {
            using var stored = checkpoint.Load(prefix + name + ".weight", new[] { input, output }, dtype, device);
            return new PackedLinear(stored.t().contiguous(), W(name + ".bias", output), precision.Weights, precision.CpuKernels, precision.BatchInvariant);
        }
        var wte = W("wte.weight", config.VocabSize, h);
        _wpe = W("wpe.weight", config.MaxPositions, h);
        _blocks = new Block[config.NumLayers];
        for (int l = 0; l < config.NumLayers; l++)
        {
            string p = $"h.{l}.";
            _blocks[l] = new Block(W(p + "ln_1.weight", h), W(p + "ln_1.bias", h),
                Conv1D(p + "attn.c_attn", h, 3 * h), Conv1D(p + "attn.c_proj", h, h),
                W(p + "ln_2.weight", h), W(p + "ln_2.bias", h),
                Conv1D(p + "mlp.c_fc", h, inner), Conv1D(p + "mlp.c_proj", inner, h));
        }
        _lnFW = W("ln_f.weight", h);
        _lnFB = W("ln_f.bias", h);
        bool untied = checkpoint.Contains("lm_head.weight") && !config.TieWordEmbeddings;
        _wte = untied ? wte : null;
        var head = untied ? checkpoint.Load("lm_head.weight", new long[] { config.VocabSize, h }, dtype, device) : wte;
        _lmHead = new PackedLinear(head, null, precision.Weights, precision.CpuKernels, precision.BatchInvariant);
    }

    /// <summary>Builds the model from a checkpoint, converting weights to <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static Gpt2 Load(ModelConfig config, Checkpoint checkpoint, Precision precision, Device device) => new(config, checkpoint, precision, device);

    public KvCache CreateCache(int batchSize, int capacity = 0) =>
        new(Config.NumLayers, batchSize, Config.NumHeads, Config.HeadDim, Dtype, Device, capacity);

    public ForwardResult Forward(ForwardRequest request, KvCache cache)
    {
        using var scope = NewDisposeScope();
        using var layout = StepLayout.Prepare(request, cache, 1, null, Device, Dtype);
        if (layout.MaxPosition >= Config.MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(request), $"position {layout.MaxPosition} exceeds GPT-2's {Config.MaxPositions} learned positions");
        long batch = request.InputIds.GetLength(0), count = request.InputIds.GetLength(1);
        int h = Config.HiddenSize, heads = Config.NumHeads, d = Config.HeadDim;
        var ids = request.InputTensor(Device);
        var x = (_wte?.index_select(0, ids.view(-1)) ?? _lmHead.Rows(ids.view(-1))).view(batch, count, h).add(_wpe.index_select(0, layout.Positions.view(-1)).view(batch, count, h), HeldScalars.One);
        for (int l = 0; l < _blocks.Length; l++)
        {
            var b = _blocks[l];
            var qkv = b.Attn.Forward(LayerNorm(x, b.Ln1W, b.Ln1B));
            Tensor Heads(int part) => qkv.narrow(2, part * h, h).view(batch, count, heads, d).transpose(1, 2);
            var (keys, values) = cache.Write(l, Heads(1), Heads(2));
            x = x.add(b.Proj.Forward(Attention.Attend(Heads(0), keys, values, layout.Mask)), HeldScalars.One);
            var inner = F.gelu(b.Fc.Forward(LayerNorm(x, b.Ln2W, b.Ln2B)), TorchSharp.Modules.GELU.Approximate.tanh);
            x = x.add(b.FcProj.Forward(inner), HeldScalars.One);
        }
        cache.Commit((int)count);
        if (request.Outputs == OutputPositions.Last) x = x.narrow(1, count - 1, 1);
        var hidden = LayerNorm(x, _lnFW, _lnFB);
        var logits = _lmHead.Forward(hidden).to(ScalarType.Float32);
        return new ForwardResult(logits.MoveToOuterDisposeScope(), request.ReturnHidden ? hidden.MoveToOuterDisposeScope() : null);
    }

    Tensor LayerNorm(Tensor x, Tensor w, Tensor b) => F.layer_norm(x, new long[] { Config.HiddenSize }, w, b, Config.NormEps);

    public void Dispose()
    {
        foreach (var b in _blocks)
        {
            foreach (var t in new[] { b.Ln1W, b.Ln1B, b.Ln2W, b.Ln2B }) t.Dispose();
            foreach (var linear in new[] { b.Attn, b.Proj, b.Fc, b.FcProj }) linear.Dispose();
        }
        _lmHead.Dispose();
        _wte?.Dispose();
        foreach (var t in new[] { _wpe, _lnFW, _lnFB }) t.Dispose();
    }
}
