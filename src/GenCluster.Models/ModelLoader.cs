using GenCluster.Models.Architectures;
using GenCluster.Models.Config;
using GenCluster.Models.Kernels;
using GenCluster.Models.Runtime;
using GenCluster.Models.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Models;

/// <summary>Where and in which precision to load a model.</summary>
public sealed record LoadOptions
{
    /// <summary>
    /// "auto" (float32 on CPU, the checkpoint's torch_dtype on CUDA), "float32", "bfloat16", "float16" or "int8".
    /// On the CPU activations stay float32 and the dtype sets how linear weights are stored (bfloat16, int8).
    /// </summary>
    public string Dtype { get; init; } = "auto";

    /// <summary>Run decode-sized linear layers on the CPU SIMD kernels (false: torch everywhere, for comparison).</summary>
    public bool CpuKernels { get; init; } = true;

    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>
    /// Give every row of a CPU product the same bits whatever the batch (float32 and bfloat16 on AVX-512; see
    /// Kernels/README.md, "Batch invariance"): a session's tokens do not depend on what the cluster batched its steps
    /// with, and a local run gives the tokens a server gives. Off trades that for single-row speed (a one-row product
    /// then runs the 1-row kernel, whose arithmetic order no batched kernel shares).
    /// </summary>
    public bool BatchInvariant { get; init; } = true;
}

/// <summary>A loaded model folder: the network, its configs and the ids that end generation.</summary>
public sealed class LoadedModel(string dir, ModelConfig config, GenerationConfig generation, ICausalLM model) : IDisposable
{
    public string Dir { get; } = dir;
    public ModelConfig Config { get; } = config;
    public GenerationConfig Generation { get; } = generation;
    public ICausalLM Model { get; } = model;

    /// <summary>EOS ids: generation_config.json's when it names any, else config.json's.</summary>
    public IReadOnlyList<long> EosTokenIds => Generation.EosTokenIds.Count > 0 ? Generation.EosTokenIds : Config.EosTokenIds;

    public void Dispose() => Model.Dispose();
}

/// <summary>Loads Hugging Face model folders (config.json + safetensors) into the runtime's architectures.</summary>
public static class ModelLoader
{
    // Before anything here loads libtorch: OpenMP threads that sleep when idle leave the cores to the decode kernels.
    static ModelLoader() => TorchThreadWaiting.PreferPassive();

    /// <summary>Loads a model folder; throws a <see cref="ModelLoadException"/> subtype with a clear message on bad input.</summary>
    public static LoadedModel Load(string modelDir, LoadOptions? options = null)
    {
        options ??= new LoadOptions();
        if (!Directory.Exists(modelDir)) throw new ModelFileMissingException($"model folder not found: {modelDir}");
        var config = ModelConfig.Load(modelDir);
        var generation = GenerationConfig.Load(modelDir);
        var device = ParseDevice(options.Device);
        var precision = Precision.Resolve(options.Dtype, config, device, options.CpuKernels) with { BatchInvariant = options.BatchInvariant };
        using var checkpoint = Checkpoint.Open(modelDir);
        ICausalLM model = config.Family switch
        {
            ArchitectureFamily.Llama => Llama.Load(config, checkpoint, precision, device),
            ArchitectureFamily.Gpt2 => Gpt2.Load(config, checkpoint, precision, device),
            _ => throw new UnsupportedArchitectureException($"architecture {config.Architecture} is not supported"),
        };
        return new LoadedModel(modelDir, config, generation, model);
    }

    /// <summary>Parses "cpu", "cuda" or "cuda:N", checking that CUDA is present.</summary>
    public static Device ParseDevice(string device)
    {
        if (device == "cpu") return CPU;
        if (device == "cuda" || device.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new ModelLoadException($"device {device} requested but CUDA is not available (this build uses TorchSharp-cpu; build with -p:TorchBackend=cuda on a GPU host)");
            return new Device(device);
        }
        throw new ArgumentException($"device must be cpu, cuda or cuda:N, got '{device}'");
    }
}

/// <summary>How a model computes (activation dtype) and stores its linear weights.</summary>
public sealed record Precision(ScalarType Compute, WeightFormat Weights, bool CpuKernels, bool BatchInvariant = false)
{
    /// <summary>
    /// Maps --dtype to a precision. CPU: activations float32; "bfloat16" and "int8" keep linear weights compact for the
    /// SIMD kernels; "float16" has no CPU kernel and computes in float32. CUDA: torch computes in the dtype itself.
    /// </summary>
    public static Precision Resolve(string dtype, ModelConfig config, Device device, bool cpuKernels)
    {
        bool cpu = device.type == DeviceType.CPU;
        var name = dtype switch { "fp32" => "float32", "bf16" => "bfloat16", "fp16" or "half" => "float16", _ => dtype };
        if (name == "auto") name = cpu ? "float32" : config.TorchDtype;
        return (name, cpu) switch
        {
            ("float32", _) => new(ScalarType.Float32, WeightFormat.Float32, cpuKernels),
            ("bfloat16", true) => new(ScalarType.Float32, WeightFormat.BFloat16, cpuKernels),
            ("int8", true) => new(ScalarType.Float32, WeightFormat.Int8, cpuKernels),
            ("float16", true) => new(ScalarType.Float32, WeightFormat.Float32, cpuKernels),
            ("bfloat16", false) => new(ScalarType.BFloat16, WeightFormat.Float32, false),
            ("float16", false) => new(ScalarType.Float16, WeightFormat.Float32, false),
            ("int8", false) => throw new ArgumentException("dtype int8 is a CPU weight format; on CUDA use bfloat16 or float16"),
            _ => throw new ArgumentException($"dtype must be auto, float32, bfloat16, float16 or int8, got '{dtype}'"),
        };
    }
}
