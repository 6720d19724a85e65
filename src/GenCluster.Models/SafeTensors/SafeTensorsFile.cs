using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Models.SafeTensors;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafeTensorInfo(string Name, string Dtype, long[] Shape, long Begin, long End)
{
    /// <summary>Bytes per element of a safetensors dtype name.</summary>
    public static int ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8, "F32" or "I32" or "U32" => 4, "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => throw new CheckpointFormatException($"unknown safetensors dtype {dtype}"),
    };

    /// <summary>The torch scalar type of a dtype the runtime reads.</summary>
    public static ScalarType ToScalarType(string dtype) => dtype switch
    {
        "F32" => ScalarType.Float32, "F16" => ScalarType.Float16, "BF16" => ScalarType.BFloat16, "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64, "I32" => ScalarType.Int32, "I8" => ScalarType.Int8, "U8" => ScalarType.Byte, "BOOL" => ScalarType.Bool,
        _ => throw new CheckpointFormatException($"safetensors dtype {dtype} is not supported by the runtime"),
    };
}

/// <summary>
/// A memory-mapped .safetensors file: 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw data. Tensors are copied straight from the mapping into torch memory.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    readonly MemoryMappedFile _map;
    readonly MemoryMappedViewAccessor _view;
    readonly byte* _base;
    readonly long _dataStart;

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Tensor entries by name.</summary>
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }

    /// <summary>The header's __metadata__ strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Maps and validates a file; throws <see cref="CheckpointFormatException"/> on any inconsistency.</summary>
    public SafeTensorsFile(string path)
    {
        Path = path;
        if (!File.Exists(path)) throw new ModelFileMissingException($"safetensors file not found: {path}");
        // Hugging Face cache snapshots are symlinks to blobs: the length must be the target's, not the link's.
        var file = new FileInfo(path);
        if (file.LinkTarget is not null) file = (FileInfo?)file.ResolveLinkTarget(returnFinalTarget: true) ?? file;
        long length = file.Length;
        if (length < 8) throw new CheckpointFormatException($"{path} is truncated: {length} bytes, shorter than the 8-byte header length");
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            _view = _map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _base = p + _view.PointerOffset;
            ulong headerLength = *(ulong*)_base;
            if (headerLength > (ulong)(length - 8))
                throw new CheckpointFormatException($"{path} is truncated or corrupt: header length {headerLength} runs past the end of the {length}-byte file");
            _dataStart = 8 + (long)headerLength;
            var header = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(_base + 8, (int)headerLength));
            (Tensors, Metadata) = ParseHeader(header, length - _dataStart, path);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    static (Dictionary<string, SafeTensorInfo>, Dictionary<string, string>) ParseHeader(string header, long dataLength, string path)
    {
        var tensors = new Dictionary<string, SafeTensorInfo>();
        var metadata = new Dictionary<string, string>();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new CheckpointFormatException($"{path} has a corrupt header: {e.Message}", e); }
        using (doc)
        {
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    foreach (var m in entry.Value.EnumerateObject()) metadata[m.Name] = m.Value.ToString();
                    continue;
                }
                try
                {
                    var dtype = entry.Value.GetProperty("dtype").GetString()!;
                    var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                    var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                    if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                        throw new CheckpointFormatException($"{path}: tensor {entry.Name} has data offsets [{string.Join(", ", offsets)}] outside the {dataLength}-byte data section (truncated file?)");
                    long expected = shape.Aggregate(1L, (a, b) => a * b) * SafeTensorInfo.ElementSize(dtype);
                    if (offsets[1] - offsets[0] != expected)
                        throw new CheckpointFormatException($"{path}: tensor {entry.Name} ({dtype} [{string.Join(", ", shape)}]) needs {expected} bytes but its offsets span {offsets[1] - offsets[0]}");
                    tensors[entry.Name] = new SafeTensorInfo(entry.Name, dtype, shape, offsets[0], offsets[1]);
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    throw new CheckpointFormatException($"{path}: header entry {entry.Name} is malformed: {e.Message}", e);
                }
            }
        }
        return (tensors, metadata);
    }

    /// <summary>Copies a tensor from the mapping into a new CPU tensor of the file's dtype.</summary>
    public Tensor Read(string name)
    {
        if (!Tensors.TryGetValue(name, out var info)) throw new CheckpointFormatException($"{Path} has no tensor named {name}");
        var tensor = empty(info.Shape, SafeTensorInfo.ToScalarType(info.Dtype));
        var source = new ReadOnlySpan<byte>(_base + _dataStart + info.Begin, checked((int)(info.End - info.Begin)));
        source.CopyTo(tensor.bytes);
        return tensor;
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_view != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map.Dispose();
    }
}
