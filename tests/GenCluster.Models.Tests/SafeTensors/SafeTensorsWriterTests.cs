using GenCluster.Models.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Models.Tests.SafeTensors;

public class SafeTensorsWriterTests : IDisposable
{
    readonly string path = Path.Combine(Path.GetTempPath(), $"writer-{Guid.NewGuid():N}.safetensors");

    public void Dispose() => File.Delete(path);

    static Dictionary<string, Tensor> Sample() => new()
    {
        ["model.embed_tokens.weight"] = arange(0, 24, dtype: ScalarType.Float32).reshape(6, 4) / 8,
        ["model.norm.weight"] = tensor(new float[] { 1.5f, -2.25f, 0.125f }),
        ["scalar_like"] = tensor(new float[] { 3f }),
    };

    [Theory]
    [InlineData(ScalarType.Float32, "F32")]
    [InlineData(ScalarType.BFloat16, "BF16")]
    [InlineData(ScalarType.Float16, "F16")]
    public void WrittenTensorsReadBackWithNamesShapesDtypeAndValues(ScalarType dtype, string name)
    {
        var tensors = Sample();
        SafeTensorsWriter.Write(path, tensors, dtype);
        using var file = new SafeTensorsFile(path);
        Assert.Equal(tensors.Keys.Order(), file.Tensors.Keys.Order());
        Assert.Equal("pt", file.Metadata["format"]);
        foreach (var (key, expected) in tensors)
        {
            Assert.Equal(name, file.Tensors[key].Dtype);
            Assert.Equal(expected.shape, file.Tensors[key].Shape);
            using var read = file.Read(key);
            // The sample values are exact in all three dtypes.
            Assert.True(read.to_type(ScalarType.Float32).allclose(expected, rtol: 0, atol: 0), key);
        }
    }

    [Fact]
    public void HeaderIsPaddedToAMultipleOfEightAndDataIsContiguous()
    {
        SafeTensorsWriter.Write(path, Sample(), ScalarType.Float32);
        var bytes = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal(8 + headerLength + (24 + 3 + 1) * 4, bytes.Length);
        using var file = new SafeTensorsFile(path);
        var ranges = file.Tensors.Values.OrderBy(t => t.Begin).ToList();
        Assert.Equal(0, ranges[0].Begin);
        Assert.All(ranges.Zip(ranges.Skip(1)), p => Assert.Equal(p.First.End, p.Second.Begin));
    }

    [Fact]
    public void UnsupportedDtypeIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, Sample(), ScalarType.Int64));
        Assert.Contains("Float32, BFloat16 and Float16", error.Message);
    }
}
