using GenCluster.Models.Architectures;
using GenCluster.Models.Config;
using GenCluster.Models.Runtime;
using GenCluster.Models.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Models;

/// <summary>Where and in which precision to load a model.</summary>
public sealed record LoadOptions
{
    /// <summary>"auto" (float32 on CPU, the checkpoint's torch_dtype on CUDA), "float32", "bfloat16" or "float16".</summary>
    public string Dtype { get; init; } = "auto";

    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "cpu";
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
    /// <summary>Loads a model folder; throws a <see cref="ModelLoadException"/> subtype with a clear message on bad input.</summary>
    public static LoadedModel Load(string modelDir, LoadOptions? options = null)
    {
        options ??= new LoadOptions();
        if (!Directory.Exists(modelDir)) throw new ModelFileMissingException($"model folder not found: {modelDir}");
        var config = ModelConfig.Load(modelDir);
        var generation = GenerationConfig.Load(modelDir);
        var device = ParseDevice(options.Device);
        var dtype = ParseDtype(options.Dtype, config, device);
        using var checkpoint = Checkpoint.Open(modelDir);
        ICausalLM model = config.Family switch
        {
            ArchitectureFamily.Llama => Llama.Load(config, checkpoint, dtype, device),
            ArchitectureFamily.Gpt2 => Gpt2.Load(config, checkpoint, dtype, device),
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

    /// <summary>Maps a --dtype name to a torch scalar type.</summary>
    public static ScalarType ParseDtype(string dtype, ModelConfig config, Device device) => dtype switch
    {
        "auto" => device.type == DeviceType.CPU ? ScalarType.Float32 : ParseDtype(config.TorchDtype == "float32" ? "float32" : config.TorchDtype, config, device),
        "float32" or "fp32" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "fp16" or "half" => ScalarType.Float16,
        _ => throw new ArgumentException($"dtype must be auto, float32, bfloat16 or float16, got '{dtype}'"),
    };
}
