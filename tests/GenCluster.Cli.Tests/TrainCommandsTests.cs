using System.Text.Json;

namespace GenCluster.Cli.Tests;

/// <summary>`gencluster train tokenizer` then `train lm` give a model folder that `generate --prompt` runs on.</summary>
public sealed class TrainCommandsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("gencluster-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task TrainedTokenizerAndModelGenerateThroughTheCli()
    {
        var corpus = Path.Combine(_dir, "corpus");
        Directory.CreateDirectory(corpus);
        var verses = Enumerable.Range(0, 400).Select(i => $"And the {(i % 3 == 0 ? "LORD" : "people")} said unto them, go ye {i % 7} ways into the land.").ToArray();
        File.WriteAllLines(Path.Combine(corpus, "train.txt"), verses);
        File.WriteAllLines(Path.Combine(corpus, "valid.txt"), verses.Take(20));

        var tokenizer = Path.Combine(_dir, "tokenizer");
        var (code, _, stderr) = await CliRunner.RunAsync("train", "tokenizer", "--data", corpus, "--out", tokenizer, "--vocab", "300");
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(Path.Combine(tokenizer, "tokenizer.json")));

        var model = Path.Combine(_dir, "model");
        (code, _, stderr) = await CliRunner.RunAsync("train", "lm", "--data", corpus, "--tokenizer", tokenizer, "--run-dir", Path.Combine(_dir, "run"),
            "--out", model, "--steps", "4", "--hidden", "32", "--intermediate", "64", "--layers", "1", "--heads", "2", "--kv-heads", "1",
            "--context", "32", "--batch", "2", "--warmup", "1", "--eval-every", "4", "--checkpoint-every", "2", "--dtype", "f32");
        Assert.True(code == 0, stderr);
        Assert.Contains("perplexity", stderr);

        (code, var stdout, stderr) = await CliRunner.RunAsync("generate", "--model", model, "--prompt", "And the LORD said", "--max_new_tokens", "5", "--output", "json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.InRange(json.RootElement.GetProperty("token_ids").GetArrayLength(), 1, 5);
    }

    [Fact]
    public async Task MissingCorpusIsAUsageError()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("train", "tokenizer", "--data", Path.Combine(_dir, "nope"), "--out", Path.Combine(_dir, "t"));
        Assert.Equal(2, code);
        Assert.Contains("train.txt", stderr);
    }
}
