using System.Text.Json;
using GenCluster.TestSupport;

namespace GenCluster.Cli.Tests;

/// <summary>`gencluster train medusa` writes heads that `generate --method medusa` then uses.</summary>
public sealed class TrainMedusaCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("train-medusa-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task TrainedHeadsDecodeLikeThePlainLoop()
    {
        var data = Path.Combine(_dir, "ids.txt");
        File.WriteAllText(data, string.Join(",", Enumerable.Range(0, 400).Select(i => 3 + i * 7 % 500)));
        var heads = Path.Combine(_dir, "heads");
        var (code, stdout, stderr) = await CliRunner.RunAsync("train", "medusa", "--model", Fixtures.Model("llama-tiny"), "--data", data,
            "--output", heads, "--steps", "3", "--num-heads", "2", "--seq-len", "16", "--batch-size", "2");
        Assert.True(code == 0, stderr);
        Assert.Contains("wrote 2 Medusa heads", stdout);
        Assert.True(File.Exists(Path.Combine(heads, "model.safetensors")));

        async Task<long[]> Generate(params string[] extra)
        {
            string[] args = ["generate", "--model", Fixtures.Model("llama-tiny"), "--input-ids", "1,9,4", "--max_new_tokens", "16", "--output", "json", .. extra];
            var (c, o, e) = await CliRunner.RunAsync(args);
            Assert.True(c == 0, e);
            using var json = JsonDocument.Parse(o);
            return Fixtures.ReadLongs(json.RootElement.GetProperty("token_ids"));
        }
        Assert.Equal(await Generate(), await Generate("--method", "medusa", "--medusa-model-heads", heads));
    }

    [Fact]
    public async Task MissingDataIsReported()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("train", "medusa", "--model", Fixtures.Model("llama-tiny"), "--data", Path.Combine(_dir, "none.txt"));
        Assert.Equal(2, code);
        Assert.Contains("training data not found", stderr);
    }
}
