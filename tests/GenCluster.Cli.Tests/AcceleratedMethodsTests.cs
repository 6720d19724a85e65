using System.Text.Json;
using GenCluster.TestSupport;

namespace GenCluster.Cli.Tests;

/// <summary>`gencluster generate --method speculative|prompt_lookup|medusa`: same greedy tokens as the plain loop, with stats.</summary>
public class AcceleratedMethodsTests
{
    static readonly string Llama = Fixtures.Model("llama-tiny");

    static async Task<JsonElement> Json(params string[] extra)
    {
        string[] args = ["generate", "--model", Llama, "--input-ids", "1,5,9,5,9", "--max_new_tokens", "24", "--output", "json", .. extra];
        var (code, stdout, stderr) = await CliRunner.RunAsync(args);
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    [Theory]
    [InlineData("speculative", "--draft-model", "llama-tiny-draft", "--lookahead", "3")]
    [InlineData("prompt_lookup", "--prompt_lookup_ngram", "2", "--lookahead", "4")]
    [InlineData("medusa", "--medusa-model-heads", "llama-tiny-medusa", "--medusa-acceptance", "greedy")]
    public async Task GreedyMethodsMatchThePlainLoopAndReportStats(string method, string flag, string value, string flag2, string value2)
    {
        var plain = await Json("--method", "greedy");
        var folder = value.StartsWith("llama", StringComparison.Ordinal) ? Fixtures.Model(value) : value;
        var fast = await Json("--method", method, flag, folder, flag2, value2);
        Assert.Equal(Fixtures.ReadLongs(plain.GetProperty("token_ids")), Fixtures.ReadLongs(fast.GetProperty("token_ids")));
        var stats = fast.GetProperty("stats");
        Assert.Equal(24, stats.GetProperty("generated_tokens").GetInt32());
        Assert.InRange(stats.GetProperty("target_forward_passes").GetInt32(), 1, 24);
        Assert.InRange(stats.GetProperty("acceptance_rate").GetDouble(), 0, 1);
        Assert.True(stats.GetProperty("mean_accepted_length").GetDouble() >= 1);
    }

    [Theory]
    [InlineData("speculative", "--draft-model", "llama-tiny-draft")]
    [InlineData("medusa", "--medusa-model-heads", "llama-tiny-medusa")]
    public async Task WithoutTheFlagTheCompanionFolderBesideTheModelIsUsed(string method, string flag, string folder)
    {
        var explicitly = await Json("--method", method, flag, Fixtures.Model(folder));
        var implicitly = await Json("--method", method);
        Assert.Equal(Fixtures.ReadLongs(explicitly.GetProperty("token_ids")), Fixtures.ReadLongs(implicitly.GetProperty("token_ids")));
        Assert.Equal(explicitly.GetProperty("stats").GetProperty("target_forward_passes").GetInt32(),
            implicitly.GetProperty("stats").GetProperty("target_forward_passes").GetInt32());
    }

    [Fact]
    public async Task MissingDraftOrHeadsFolderIsAUsageError()
    {
        // qwen2-tiny has neither qwen2-tiny-draft nor qwen2-tiny-medusa beside it.
        var qwen = Fixtures.Model("qwen2-tiny");
        var (code, _, stderr) = await CliRunner.RunAsync("generate", "--model", qwen, "--input-ids", "1", "--method", "speculative");
        Assert.Equal(2, code);
        Assert.Contains("--draft-model", stderr);
        Assert.Contains("qwen2-tiny-draft", stderr);
        (code, _, stderr) = await CliRunner.RunAsync("generate", "--model", qwen, "--input-ids", "1", "--method", "medusa");
        Assert.Equal(2, code);
        Assert.Contains("--medusa-model-heads", stderr);
    }
}
