using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Models.SafeTensors;

/// <summary>The weights of a model folder: model.safetensors, or the shards named by model.safetensors.index.json.</summary>
public sealed class Checkpoint : IDisposable
{
    readonly Dictionary<string, SafeTensorsFile> _byTensor = new();
    readonly List<SafeTensorsFile> _files = new();

    /// <summary>Names of all tensors in the checkpoint.</summary>
    public IEnumerable<string> Names => _byTensor.Keys;

    /// <summary>Opens the weights of a model folder.</summary>
    public static Checkpoint Open(string modelDir)
    {
        var checkpoint = new Checkpoint();
        try
        {
            var single = Path.Combine(modelDir, "model.safetensors");
            var index = Path.Combine(modelDir, "model.safetensors.index.json");
            if (File.Exists(single)) checkpoint.Add(new SafeTensorsFile(single), null);
            else if (File.Exists(index)) checkpoint.AddShards(modelDir, index);
            else throw new ModelFileMissingException($"no model.safetensors or model.safetensors.index.json in {modelDir} (only safetensors checkpoints are supported)");
            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    void AddShards(string modelDir, string indexPath)
    {
        Dictionary<string, string> weightMap;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
            weightMap = doc.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CheckpointFormatException($"{indexPath} is malformed: {e.Message}", e);
        }
        foreach (var shard in weightMap.Values.Distinct())
        {
            var file = new SafeTensorsFile(Path.Combine(modelDir, shard));
            Add(file, weightMap.Where(kv => kv.Value == shard).Select(kv => kv.Key).ToHashSet());
        }
        foreach (var name in weightMap.Keys)
            if (!_byTensor.ContainsKey(name))
                throw new CheckpointFormatException($"{indexPath} maps {name} to {weightMap[name]}, which does not contain it");
    }

    void Add(SafeTensorsFile file, HashSet<string>? only)
    {
        _files.Add(file);
        foreach (var name in file.Tensors.Keys)
            if (only == null || only.Contains(name)) _byTensor[name] = file;
    }

    /// <summary>True if the checkpoint has a tensor of this name.</summary>
    public bool Contains(string name) => _byTensor.ContainsKey(name);

    /// <summary>Header entry of a tensor.</summary>
    public SafeTensorInfo Info(string name) => _byTensor.TryGetValue(name, out var f) ? f.Tensors[name]
        : throw new CheckpointFormatException($"checkpoint has no tensor named {name}");

    /// <summary>Reads a tensor, checks its shape, and converts it to the given dtype and device.</summary>
    public Tensor Load(string name, long[] expectedShape, ScalarType dtype, Device device)
    {
        var info = Info(name);
        if (!info.Shape.SequenceEqual(expectedShape))
            throw new CheckpointFormatException($"tensor {name} has shape [{string.Join(", ", info.Shape)}] but config.json implies [{string.Join(", ", expectedShape)}]");
        var raw = _byTensor[name].Read(name);
        if (raw.dtype == dtype && device.type == DeviceType.CPU) return raw;
        using (raw) return raw.to(dtype, device);
    }

    /// <summary>Unmaps every file.</summary>
    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
    }
}
