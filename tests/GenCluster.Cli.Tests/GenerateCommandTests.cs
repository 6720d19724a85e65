using System.Diagnostics;
using System.Text.Json;
using GenCluster.TestSupport;

namespace GenCluster.Cli.Tests;

/// <summary>`gencluster generate`: the stable flag and output interface other tools call.</summary>
public class GenerateCommandTests
{
    static readonly string Llama = Fixtures.Model("llama-tiny");

    [Fact]
    public async Task GreedyJsonOutputMatchesTransformers()
    {
        using var golden = Fixtures.Golden("greedy.json");
        var c = golden.RootElement.GetProperty("models").GetProperty("llama-tiny").GetProperty("cases")[6];
        var prompt = string.Join(",", Fixtures.ReadLongs(c.GetProperty("prompt")));
        var eos = c.GetProperty("eos_token_id").GetInt64().ToString();
        var (code, stdout, stderr) = await CliRunner.RunAsync("generate", "--model", Llama, "--input-ids", prompt, "--method", "greedy",
            "--max_new_tokens", "32", "--eos_token_id", eos, "--output", "json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(Fixtures.ReadLongs(c.GetProperty("generated")), Fixtures.ReadLongs(root.GetProperty("token_ids")));
        Assert.Equal("eos", root.GetProperty("finish_reason").GetString());
        Assert.Equal(prompt, string.Join(",", Fixtures.ReadLongs(root.GetProperty("prompt_token_ids"))));
        Assert.Equal(root.GetProperty("token_ids").GetArrayLength(), root.GetProperty("logprobs").GetArrayLength());
        Assert.Equal("", root.GetProperty("text").GetString());
        var stats = root.GetProperty("stats");
        Assert.Equal(root.GetProperty("token_ids").GetArrayLength(), stats.GetProperty("generated_tokens").GetInt32());
        Assert.True(stats.GetProperty("tokens_per_second").GetDouble() > 0);
    }

    [Fact]
    public async Task TextOutputStreamsIdsAndEndsWithASummary()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("generate", "--model", Llama, "--input-ids", "360", "--max-new-tokens", "4");
        Assert.Equal(0, code);
        Assert.Equal("66 438 323 62", stdout.Trim());
        Assert.Matches(@"\[4 tokens in [0-9.]+ s, [0-9.]+ tokens/s", stderr);
    }

    [Fact]
    public async Task SameSeedSameSamplesDifferentSeedDifferentSamples()
    {
        string[] Args(string seed) => ["generate", "--model", Llama, "--input-ids", "5,6,7", "--temperature", "1.0", "--top_k", "50", "--seed", seed, "--max_new_tokens", "24", "--output", "json"];
        var a = (await CliRunner.RunAsync(Args("7"))).Out;
        var b = (await CliRunner.RunAsync(Args("7"))).Out;
        var c = (await CliRunner.RunAsync(Args("8"))).Out;
        string Ids(string s) => JsonDocument.Parse(s).RootElement.GetProperty("token_ids").ToString();
        Assert.Equal(Ids(a), Ids(b));
        Assert.NotEqual(Ids(a), Ids(c));
    }

    [Fact]
    public async Task DoSampleSamplesAtTheModelDefaultsAndFalseDecodesGreedily()
    {
        string[] Args(params string[] extra) => ["generate", "--model", Llama, "--input-ids", "5,6,7", "--max_new_tokens", "16", "--output", "json", .. extra];
        string Ids(string s) => JsonDocument.Parse(s).RootElement.GetProperty("token_ids").ToString();
        var greedy = Ids((await CliRunner.RunAsync(Args("--method", "greedy"))).Out);
        var sampled = Ids((await CliRunner.RunAsync(Args("--do_sample", "--seed", "3"))).Out);
        var pure = Ids((await CliRunner.RunAsync(Args("--method", "unconstrained", "--seed", "3"))).Out);
        var forcedGreedy = Ids((await CliRunner.RunAsync(Args("--do-sample", "false", "--temperature", "0.8", "--seed", "3"))).Out);

        Assert.Equal(pure, sampled);
        Assert.NotEqual(greedy, sampled);
        Assert.Equal(greedy, forcedGreedy);
        var (code, _, stderr) = await CliRunner.RunAsync(Args("--method", "top_k", "--do_sample", "false"));
        Assert.Equal(2, code);
        Assert.Contains("--do_sample conflicts with --method top_k", stderr);
    }

    [Theory]
    [InlineData("--bogus-flag")]
    [InlineData("--top_p", "1.5")]
    [InlineData("--temperature", "-1")]
    [InlineData("--method", "nonsense")]
    [InlineData("--output", "xml")]
    [InlineData("--max_new_tokens", "abc")]
    [InlineData("--input-ids", "1,x,3")]
    [InlineData("--input-ids", "1,100000")]
    [InlineData("--context-overflow", "wrap")]
    public async Task BadFlagsExitWithCode2AndAMessage(params string[] bad)
    {
        var args = new List<string> { "generate", "--model", Llama, "--max_new_tokens", "2" };
        if (!bad.Contains("--input-ids")) args.AddRange(["--input-ids", "1,2"]);
        args.AddRange(bad);
        var (code, _, stderr) = await CliRunner.RunAsync(args.ToArray());
        Assert.Equal(2, code);
        Assert.Contains("error", stderr);
    }

    [Fact]
    public async Task MissingPromptAndMissingModelAreUsageErrors()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("generate", "--model", Llama);
        Assert.Equal(2, code);
        Assert.Contains("--input-ids", stderr);
        (code, _, stderr) = await CliRunner.RunAsync("generate", "--model", "/nonexistent/model", "--input-ids", "1");
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/model", stderr);
        (code, _, stderr) = await CliRunner.RunAsync("generate", "--model", Llama, "--prompt", "hello");
        Assert.Equal(2, code);
        Assert.Contains("tokenizer", stderr);
    }

    [Fact]
    public async Task ContextOverflowIsAUsageErrorUnlessAPolicyIsChosen()
    {
        var ids = string.Join(",", Enumerable.Range(3, 250));
        var (code, _, stderr) = await CliRunner.RunAsync("generate", "--model", Llama, "--input-ids", ids, "--max_new_tokens", "20");
        Assert.Equal(2, code);
        Assert.Contains("context window", stderr);
        (code, _, _) = await CliRunner.RunAsync("generate", "--model", Llama, "--input-ids", ids, "--max_new_tokens", "20", "--context-overflow", "truncate-left");
        Assert.Equal(0, code);
    }

    [Fact]
    public void BuiltExecutableLoadsTorchAndGenerates()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "gencluster.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "generate", "--model", Llama, "--input-ids", "360", "--max_new_tokens", "3"])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr);
        Assert.Equal("66 438 323", stdout.Trim());
    }
}
