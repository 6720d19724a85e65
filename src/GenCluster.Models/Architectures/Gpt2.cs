using GenCluster.Models.Config;
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
    sealed record Block(Tensor Ln1W, Tensor Ln1B, Tensor Attn, Tensor AttnB, Tensor Proj, Tensor ProjB,
        Tensor Ln2W, Tensor Ln2B, Tensor Fc, Tensor FcB, Tensor FcProj, Tensor FcProjB);

    readonly Tensor _wte, _wpe, _lnFW, _lnFB, _lmHead;
    readonly Block[] _blocks;

    public ModelConfig Config { get; }
    public Device Device { get; }
    public ScalarType Dtype { get; }

    Gpt2(ModelConfig config, Checkpoint checkpoint, ScalarType dtype, Device device)
    {
        (Config, Dtype, Device) = (config, dtype, device);
        int h = config.HiddenSize, inner = config.IntermediateSize;
        // Some exports prefix every name with "transformer.", others do not.
        string prefix = checkpoint.Contains("transformer.wte.weight") ? "transformer." : "";
        Tensor W(string name, params long[] shape) => checkpoint.Load(prefix + name, shape, dtype, device).DetachFromDisposeScope();
        Tensor Conv1D(string name, long input, long output)
        {
            using var stored = checkpoint.Load(prefix + name, new[] { input, output }, dtype, device);
            return stored.t().contiguous().DetachFromDisposeScope();
        }
        _wte = W("wte.weight", config.VocabSize, h);
        _wpe = W("wpe.weight", config.MaxPositions, h);
        _blocks = new Block[config.NumLayers];
        for (int l = 0; l < config.NumLayers; l++)
        {
            string p = $"h.{l}.";
            _blocks[l] = new Block(W(p + "ln_1.weight", h), W(p + "ln_1.bias", h),
                Conv1D(p + "attn.c_attn.weight", h, 3 * h), W(p + "attn.c_attn.bias", 3 * h),
                Conv1D(p + "attn.c_proj.weight", h, h), W(p + "attn.c_proj.bias", h),
                W(p + "ln_2.weight", h), W(p + "ln_2.bias", h),
                Conv1D(p + "mlp.c_fc.weight", h, inner), W(p + "mlp.c_fc.bias", inner),
                Conv1D(p + "mlp.c_proj.weight", inner, h), W(p + "mlp.c_proj.bias", h));
        }
        _lnFW = W("ln_f.weight", h);
        _lnFB = W("ln_f.bias", h);
        _lmHead = checkpoint.Contains("lm_head.weight") && !config.TieWordEmbeddings
            ? checkpoint.Load("lm_head.weight", new long[] { config.VocabSize, h }, dtype, device).DetachFromDisposeScope()
            : _wte;
    }

    /// <summary>Builds the model from a checkpoint, converting weights to <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static Gpt2 Load(ModelConfig config, Checkpoint checkpoint, ScalarType dtype, Device device) => new(config, checkpoint, dtype, device);

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
        var ids = Llama.TokenTensor(request.InputIds, Device);
        var x = _wte.index_select(0, ids.view(-1)).view(batch, count, h) + _wpe.index_select(0, layout.Positions.view(-1)).view(batch, count, h);
        for (int l = 0; l < _blocks.Length; l++)
        {
            var b = _blocks[l];
            var qkv = F.linear(LayerNorm(x, b.Ln1W, b.Ln1B), b.Attn, b.AttnB);
            Tensor Heads(int part) => qkv.narrow(2, part * h, h).view(batch, count, heads, d).transpose(1, 2);
            var (keys, values) = cache.Write(l, Heads(1), Heads(2));
            x = x + F.linear(Attention.Attend(Heads(0), keys, values, layout.Mask), b.Proj, b.ProjB);
            var inner = F.gelu(F.linear(LayerNorm(x, b.Ln2W, b.Ln2B), b.Fc, b.FcB), TorchSharp.Modules.GELU.Approximate.tanh);
            x = x + F.linear(inner, b.FcProj, b.FcProjB);
        }
        cache.Commit((int)count);
        if (request.Outputs == OutputPositions.Last) x = x.narrow(1, count - 1, 1);
        var hidden = LayerNorm(x, _lnFW, _lnFB);
        var logits = F.linear(hidden, _lmHead).to(ScalarType.Float32);
        return new ForwardResult(logits.MoveToOuterDisposeScope(), request.ReturnHidden ? hidden.MoveToOuterDisposeScope() : null);
    }

    Tensor LayerNorm(Tensor x, Tensor w, Tensor b) => F.layer_norm(x, new long[] { Config.HiddenSize }, w, b, Config.NormEps);

    public void Dispose()
    {
        foreach (var b in _blocks)
            foreach (var t in new[] { b.Ln1W, b.Ln1B, b.Attn, b.AttnB, b.Proj, b.ProjB, b.Ln2W, b.Ln2B, b.Fc, b.FcB, b.FcProj, b.FcProjB }) t.Dispose();
        if (!ReferenceEquals(_lmHead, _wte)) _lmHead.Dispose();
        foreach (var t in new[] { _wte, _wpe, _lnFW, _lnFB }) t.Dispose();
    }
}
