using System.Text.Json;
using GenCluster.TestSupport;

namespace GenCluster.Cli.Tests;

/// <summary>The shipped default model and the generation defaults a model folder declares.</summary>
public sealed class DefaultModelTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("gencluster-gencfg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task GenerateWithoutModelUsesTheShippedDefaultAndWritesText()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("generate", "--prompt", "In the beginning", "--max_new_tokens", "24", "--seed", "3", "--output", "json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var text = json.RootElement.GetProperty("text").GetString()!;
        Assert.Equal(24, json.RootElement.GetProperty("token_ids").GetArrayLength());
        Assert.Matches("[a-z]{3,}", text);
    }

    [Fact]
    public async Task TheDefaultBudgetShrinksToTheContextWindowButAnExplicitOneMustFit()
    {
        // models/default has 256 positions: the default 500 new tokens become 256 - prompt.
        var (code, stdout, stderr) = await CliRunner.RunAsync("generate", "--prompt", "In the beginning", "--method", "greedy", "--output", "json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        int prompt = json.RootElement.GetProperty("prompt_token_ids").GetArrayLength();
        var generated = json.RootElement.GetProperty("token_ids").GetArrayLength();
        Assert.True(generated == 256 - prompt || json.RootElement.GetProperty("finish_reason").GetString() == "eos", $"{generated} tokens");
        (code, _, stderr) = await CliRunner.RunAsync("generate", "--prompt", "In the beginning", "--max_new_tokens", "500");
        Assert.Equal(2, code);
        Assert.Contains("context window", stderr);
    }

    [Fact]
    public async Task GenerationConfigSamplingDefaultsApplyUnlessFlagsOverrideThem()
    {
        foreach (var f in Directory.GetFiles(Fixtures.Model("llama-tiny"))) File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(_dir, "generation_config.json"), """{"eos_token_id": 2, "do_sample": true, "temperature": 1.0, "top_k": 100}""");
        async Task<string> Ids(params string[] extra)
        {
            var (code, stdout, stderr) = await CliRunner.RunAsync(["generate", "--model", _dir, "--input-ids", "360", "--max_new_tokens", "16", "--output", "json", .. extra]);
            Assert.True(code == 0, stderr);
            return JsonDocument.Parse(stdout).RootElement.GetProperty("token_ids").ToString();
        }
        // Greedy from [360] is 66 438 323 62 ...; the folder's do_sample makes different seeds differ.
        Assert.NotEqual(await Ids("--seed", "1"), await Ids("--seed", "2"));
        Assert.StartsWith("[66,438,323,62", await Ids("--method", "greedy"));
    }
}
