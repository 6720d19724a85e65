using System.Text;
using GenCluster.TestSupport;

namespace GenCluster.Models.Tests;

/// <summary>Broken model folders give a specific exception with a clear message, never a native crash.</summary>
public sealed class CheckpointErrorTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("gencluster-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string CopyOf(string model)
    {
        foreach (var f in Directory.GetFiles(Fixtures.Model(model))) File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        return _dir;
    }

    string Weights => Path.Combine(_dir, "model.safetensors");

    [Fact]
    public void TruncatedFileNamesTheTensorOutsideTheData()
    {
        CopyOf("llama-tiny");
        var bytes = File.ReadAllBytes(Weights);
        File.WriteAllBytes(Weights, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(_dir));
        Assert.Contains("outside the", e.Message);
    }

    [Fact]
    public void HeaderLengthPastTheEndIsReported()
    {
        CopyOf("llama-tiny");
        var bytes = File.ReadAllBytes(Weights);
        BitConverter.GetBytes((ulong)bytes.Length * 2).CopyTo(bytes, 0);
        File.WriteAllBytes(Weights, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(_dir));
        Assert.Contains("header length", e.Message);
    }

    [Fact]
    public void FileShorterThanTheLengthFieldIsReported()
    {
        CopyOf("llama-tiny");
        File.WriteAllBytes(Weights, [1, 2, 3]);
        Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(_dir));
    }

    [Fact]
    public void CorruptHeaderJsonIsReported()
    {
        CopyOf("llama-tiny");
        var bytes = File.ReadAllBytes(Weights);
        bytes[8] = (byte)'#';
        File.WriteAllBytes(Weights, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(_dir));
        Assert.Contains("corrupt header", e.Message);
    }

    [Fact]
    public void ShapeThatDisagreesWithConfigNamesTheTensor()
    {
        CopyOf("llama-tiny");
        var config = File.ReadAllText(Path.Combine(_dir, "config.json")).Replace("\"intermediate_size\": 128", "\"intermediate_size\": 96");
        File.WriteAllText(Path.Combine(_dir, "config.json"), config);
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(_dir));
        Assert.Contains("mlp.gate_proj.weight", e.Message);
    }

    [Fact]
    public void OffsetsThatDisagreeWithDtypeAreReported()
    {
        CopyOf("llama-tiny");
        var bytes = File.ReadAllBytes(Weights);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        var patched = Encoding.UTF8.GetBytes(header.Replace("\"F32\"", "\"F16\""));
        Array.Copy(patched, 0, bytes, 8, headerLength);
        File.WriteAllBytes(Weights, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(_dir));
        Assert.Contains("needs", e.Message);
    }

    [Fact]
    public void MissingWeightsAndConfigAreReported()
    {
        CopyOf("llama-tiny");
        File.Delete(Weights);
        Assert.Contains("model.safetensors", Assert.Throws<ModelFileMissingException>(() => ModelLoader.Load(_dir)).Message);
        File.Delete(Path.Combine(_dir, "config.json"));
        Assert.Contains("config.json", Assert.Throws<ModelFileMissingException>(() => ModelLoader.Load(_dir)).Message);
        Assert.Throws<ModelFileMissingException>(() => ModelLoader.Load(Path.Combine(_dir, "nope")));
    }

    [Fact]
    public void MissingShardIsReported()
    {
        CopyOf("llama-tiny-sharded");
        File.Delete(Path.Combine(_dir, "model-00002-of-00003.safetensors"));
        Assert.Contains("model-00002-of-00003", Assert.Throws<ModelFileMissingException>(() => ModelLoader.Load(_dir)).Message);
    }

    [Fact]
    public void UnsupportedArchitectureListsTheSupportedOnes()
    {
        CopyOf("llama-tiny");
        var config = File.ReadAllText(Path.Combine(_dir, "config.json")).Replace("LlamaForCausalLM", "FalconForCausalLM");
        File.WriteAllText(Path.Combine(_dir, "config.json"), config);
        var e = Assert.Throws<UnsupportedArchitectureException>(() => ModelLoader.Load(_dir));
        Assert.Contains("FalconForCausalLM", e.Message);
        Assert.Contains("Qwen2ForCausalLM", e.Message);
    }
}
