using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Models.SafeTensors;

/// <summary>Writes tensors in the safetensors format (huggingface/safetensors): u64 little-endian header length, JSON header, raw data.</summary>
/// <remarks>The header maps each name to dtype, shape and [begin, end) byte offsets into the data; it is padded with spaces
/// to a multiple of 8 so the data starts aligned. Tensors are written in the order given, contiguous and little-endian.</remarks>
public static class SafeTensorsWriter
{
    static readonly Dictionary<ScalarType, string> DtypeNames = new()
    {
        [ScalarType.Float32] = "F32",
        [ScalarType.BFloat16] = "BF16",
        [ScalarType.Float16] = "F16",
    };

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>, converted to <paramref name="dtype"/> (F32, BF16 or F16).</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, ScalarType dtype,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!DtypeNames.TryGetValue(dtype, out var dtypeName))
            throw new ArgumentException($"safetensors export supports Float32, BFloat16 and Float16, got {dtype}", nameof(dtype));

        var blobs = new List<(string Name, long[] Shape, byte[] Bytes)>();
        foreach (var (name, tensor) in tensors)
        {
            using var scope = NewDisposeScope();
            var data = tensor.detach().to(CPU).to_type(dtype).contiguous();
            var bytes = new byte[data.NumberOfElements * data.ElementSize];
            data.bytes.CopyTo(bytes);
            blobs.Add((name, data.shape, bytes));
        }

        var header = Header(blobs, dtypeName, metadata ?? new Dictionary<string, string> { ["format"] = "pt" });
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        file.Write(length);
        file.Write(header);
        foreach (var blob in blobs) file.Write(blob.Bytes);
    }

    static byte[] Header(List<(string Name, long[] Shape, byte[] Bytes)> blobs, string dtypeName, IReadOnlyDictionary<string, string> metadata)
    {
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            foreach (var (key, value) in metadata) w.WriteString(key, value);
            w.WriteEndObject();
            long offset = 0;
            foreach (var (name, shape, bytes) in blobs)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", dtypeName);
                w.WriteStartArray("shape");
                foreach (var d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes.Length;
            }
            w.WriteEndObject();
        }
        var header = json.ToArray();
        return [.. header, .. Enumerable.Repeat((byte)' ', (8 - header.Length % 8) % 8)];
    }
}
