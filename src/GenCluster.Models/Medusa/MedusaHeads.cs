using GenCluster.Models.Runtime;
using GenCluster.Models.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GenCluster.Models.Medusa;

/// <summary>
/// Medusa heads (Cai et al. 2024) on a base model's final hidden state h at position t: head k computes
/// x = h; x = x + SiLU(W_{k,l} x + b_{k,l}) for each layer l; logits_k = lm_heads.k · x, proposing the token at t + 2 + k.
/// Weights in vLLM's names: blocks.{k}.layers.{l}.weight/bias, lm_heads.{k}.weight (optionally prefixed medusa_heads.);
/// with <see cref="MedusaConfig.OriginalLmHead"/> one lm_head.weight serves every head, and the heads' rows go through it
/// in one product (one pass over the largest weight instead of one per head).
/// </summary>
public sealed class MedusaHeads : IDisposable
{
    readonly Tensor[][] _weights;
    readonly Tensor?[][] _biases;
    readonly Tensor[] _lmHeads;
    FusedMedusaHeads? _fused; // the CPU-kernel path of TopTokens, built on first use

    /// <summary>The heads' configuration.</summary>
    public MedusaConfig Config { get; }

    /// <summary>
    /// Builds heads from tensors (they may require grad: the forward is plain differentiable torch): one LM head per head,
    /// or a single one when <see cref="MedusaConfig.OriginalLmHead"/>.
    /// </summary>
    public MedusaHeads(MedusaConfig config, Tensor[][] weights, Tensor?[][] biases, Tensor[] lmHeads)
    {
        if (weights.Length != config.NumHeads || lmHeads.Length != (config.OriginalLmHead ? 1 : config.NumHeads) || weights.Any(w => w.Length != config.NumLayers))
            throw new ArgumentException($"expected {config.NumHeads} heads of {config.NumLayers} layers and {(config.OriginalLmHead ? "one shared LM head" : "an LM head each")}");
        (Config, _weights, _biases, _lmHeads) = (config, weights, biases, lmHeads);
    }

    /// <summary>The tensor name of the LM head every head shares (original_lm_head).</summary>
    public const string SharedLmHeadName = "lm_head.weight";

    /// <summary>The tensor name of head k's layer l weight ("weight") or bias ("bias").</summary>
    public static string LayerName(int head, int layer, string part) => $"blocks.{head}.layers.{layer}.{part}";

    /// <summary>The tensor name of head k's LM head.</summary>
    public static string LmHeadName(int head) => $"lm_heads.{head}.weight";

    /// <summary>Loads a heads folder (config.json + model.safetensors) in <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static MedusaHeads Load(string dir, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        if (!Directory.Exists(dir)) throw new ModelFileMissingException($"Medusa heads folder not found: {dir}");
        var config = MedusaConfig.Load(dir);
        device ??= CPU;
        using var checkpoint = Checkpoint.Open(dir);
        var lmName = config.OriginalLmHead ? SharedLmHeadName : LmHeadName(0);
        string prefix = checkpoint.Contains(lmName) ? "" : checkpoint.Contains("medusa_heads." + lmName) ? "medusa_heads."
            : throw new CheckpointFormatException($"{dir} has no {lmName} (nor medusa_heads.{lmName}): not Medusa heads in vLLM's format");
        Tensor W(string name, params long[] shape) => checkpoint.Load(prefix + name, shape, dtype, device).DetachFromDisposeScope();
        int h = config.HiddenSize, k = config.NumHeads, l = config.NumLayers;
        var weights = Enumerable.Range(0, k).Select(i => Enumerable.Range(0, l).Select(j => W(LayerName(i, j, "weight"), h, h)).ToArray()).ToArray();
        var biases = Enumerable.Range(0, k).Select(i => Enumerable.Range(0, l).Select(j => config.Bias ? W(LayerName(i, j, "bias"), h) : null).ToArray()).ToArray();
        var lmHeads = config.OriginalLmHead ? [W(SharedLmHeadName, config.VocabSize, h)] : Enumerable.Range(0, k).Select(i => W(LmHeadName(i), config.VocabSize, h)).ToArray();
        return new MedusaHeads(config, weights, biases, lmHeads);
    }

    /// <summary>Logits [heads, ..., vocab] (float32) of every head for hidden states [..., hidden].</summary>
    public Tensor Forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var x = hidden.to(_lmHeads[0].dtype);
        var logits = Config.OriginalLmHead
            ? F.linear(stack(Enumerable.Range(0, Config.NumHeads).Select(k => Block(k, x)).ToArray(), 0), _lmHeads[0])
            : stack(Enumerable.Range(0, Config.NumHeads).Select(k => F.linear(Block(k, x), _lmHeads[k])).ToArray(), 0);
        return logits.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Whether <see cref="TopTokens"/> may run on the CPU kernels (tests turn it off to compare with torch).</summary>
    internal bool UseKernels { get; set; } = true;

    /// <summary>
    /// The candidates of a Medusa tree: the <paramref name="counts"/>[k] best tokens of head k (best first) for one hidden
    /// state [hidden]. Float32 CPU weights without gradients run on the kernels (<see cref="FusedMedusaHeads"/>), others on torch.
    /// </summary>
    public long[][] TopTokens(Tensor hidden, IReadOnlyList<int> counts)
    {
        using var scope = NewDisposeScope();
        if (UseKernels && Named().All(t => FusedMedusaHeads.Supports(t.Value)))
        {
            _fused ??= new FusedMedusaHeads(Config, _weights, _biases, _lmHeads);
            var h = hidden.detach().to(ScalarType.Float32).cpu().contiguous();
            return _fused.TopTokens(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(h.bytes), counts);
        }
        var logits = Forward(hidden.reshape(-1));
        return counts.Select((count, k) => logits[k].topk(count).indexes.data<long>().ToArray()).ToArray();
    }

    Tensor Block(int head, Tensor x)
    {
        for (int l = 0; l < Config.NumLayers; l++) x = x.add(F.silu(F.linear(x, _weights[head][l], _biases[head][l])), HeldScalars.One);
        return x;
    }

    /// <summary>Every tensor by its vLLM name (for saving).</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> Named()
    {
        for (int k = 0; k < Config.NumHeads; k++)
        {
            for (int l = 0; l < Config.NumLayers; l++)
            {
                yield return new(LayerName(k, l, "weight"), _weights[k][l]);
                if (_biases[k][l] is { } b) yield return new(LayerName(k, l, "bias"), b);
            }
            if (!Config.OriginalLmHead) yield return new(LmHeadName(k), _lmHeads[k]);
        }
        if (Config.OriginalLmHead) yield return new(SharedLmHeadName, _lmHeads[0]);
    }

    /// <summary>Writes config.json and model.safetensors (float32) into <paramref name="dir"/>.</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        Config.Save(dir);
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), Named(), ScalarType.Float32);
    }

    /// <summary>Releases the weights.</summary>
    public void Dispose()
    {
        _fused?.Dispose();
        foreach (var (_, t) in Named()) t.Dispose();
    }
}
