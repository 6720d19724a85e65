using System.Text.Json;
using GenCluster.TestSupport;

namespace GenCluster.Cli.Tests;

/// <summary>`generate --method beam|cot|json`: their flags, JSON output and bad values.</summary>
public sealed class StrategyMethodTests : IDisposable
{
    static readonly string Llama = Fixtures.Model("llama-tiny");
    readonly string _chatModel = Path.Combine(Path.GetTempPath(), "gencluster-cli-" + Guid.NewGuid().ToString("N"));

    /// <summary>
    /// gpt2-tiny's weights with the GPT-2 tokenizer and a chat template that renders the user message alone. The
    /// fixture's EOS id 2 is not a special token of that tokenizer: it decodes as "#".
    /// </summary>
    public StrategyMethodTests()
    {
        Directory.CreateDirectory(_chatModel);
        foreach (var file in Directory.GetFiles(Fixtures.Model("gpt2-tiny")))
            File.Copy(file, Path.Combine(_chatModel, Path.GetFileName(file)));
        var tokenizer = Path.Combine(Fixtures.RepoRoot, "tests", "GenCluster.Models.Tests", "TestData", "tokenizers", "gpt2");
        File.Copy(Path.Combine(tokenizer, "tokenizer.json"), Path.Combine(_chatModel, "tokenizer.json"));
        File.WriteAllText(Path.Combine(_chatModel, "tokenizer_config.json"), """{"chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}"}""");
    }

    public void Dispose() => Directory.Delete(_chatModel, recursive: true);

    [Theory]
    [InlineData(1)]  // 4 beams, 4 returned, none ends on EOS
    [InlineData(11)] // 2 beams, 2 returned, both end on EOS
    [InlineData(17)] // early_stopping never
    public async Task BeamJsonOutputEqualsTransformers(int index)
    {
        var c = BeamGolden.Cases("llama-tiny")[index];
        var (code, stdout, stderr) = await CliRunner.RunAsync("generate", "--model", Llama, "--input-ids", string.Join(",", c.Prompt), "--method", "beam",
            "--num_beams", c.NumBeams.ToString(), "--length_penalty", c.LengthPenalty.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--early_stopping", c.EarlyStopping, "--num_return_sequences", c.NumReturnSequences.ToString(),
            "--max_new_tokens", c.MaxNewTokens.ToString(), "--eos_token_id", c.EosTokenId.ToString(), "--output", "json");
        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        var sequences = root.GetProperty("sequences").EnumerateArray().ToArray();
        Assert.Equal(c.Sequences, sequences.Select(s => Fixtures.ReadLongs(s.GetProperty("token_ids"))).ToArray());
        for (int i = 0; i < sequences.Length; i++)
        {
            Assert.InRange(sequences[i].GetProperty("score").GetDouble(), c.Scores[i] - 1e-4, c.Scores[i] + 1e-4);
            Assert.Equal(c.EndsWithEos[i] ? "eos" : "length", sequences[i].GetProperty("finish_reason").GetString());
            Assert.Equal(string.Join(" ", c.Sequences[i]), sequences[i].GetProperty("text").GetString()); // no tokenizer: the ids
        }
        Assert.Equal(c.Sequences[0], Fixtures.ReadLongs(root.GetProperty("token_ids")));
        Assert.Equal(c.Prompt, Fixtures.ReadLongs(root.GetProperty("prompt_token_ids")));
    }

    [Fact]
    public async Task BeamTextOutputPrintsOneLinePerReturnedSequence()
    {
        var c = BeamGolden.Cases("llama-tiny")[1];
        var (code, stdout, stderr) = await CliRunner.RunAsync("generate", "--model", Llama, "--input-ids", string.Join(",", c.Prompt), "--method", "beam",
            "--beam_width", "4", "--length_penalty", "0.6", "--num_return_sequences", "4", "--max_new_tokens", "16", "--eos_token_id", "256");
        Assert.True(code == 0, stderr);
        Assert.Equal(c.Sequences.Select(s => string.Join(" ", s)), stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("best score", stderr);
    }

    [Fact]
    public async Task CotJsonListsRankedBranchesWithTheirAnswers()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("generate", "--model", Llama, "--input-ids", "5,6,7", "--method", "cot",
            "--cot_branches", "4", "--max_new_tokens", "8", "--output", "json");
        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        var branches = root.GetProperty("branches").EnumerateArray().ToArray();
        Assert.Equal(4, branches.Length);
        Assert.Equal(4, branches.Select(b => b.GetProperty("first_token").GetInt64()).Distinct().Count());
        var confidences = branches.Select(b => b.GetProperty("confidence").GetDouble()).ToArray();
        Assert.Equal(confidences.OrderDescending(), confidences);
        foreach (var b in branches) // without a tokenizer the text is the ids, so the answer is the last id
            Assert.Equal(Fixtures.ReadLongs(b.GetProperty("token_ids"))[^1].ToString(), b.GetProperty("answer").GetString());
        Assert.Equal(branches[0].GetProperty("answer").GetString(), root.GetProperty("answer").GetString());
    }

    [Fact]
    public async Task EveryMethodRunsWithTheChatTemplateAndJsonOutput()
    {
        var schema = Path.Combine(_chatModel, "schema.json");
        File.WriteAllText(schema, """{"enum": ["yes", "no"]}""");
        string[][] methods =
        [
            ["--method", "beam", "--num_beams", "3", "--num_return_sequences", "2"],
            ["--method", "cot", "--cot_branches", "3", "--cot_aggregate", "--cot_answer_regex", "(\\w)"],
            ["--method", "json", "--json_schema", schema],
        ];
        foreach (var method in methods)
        {
            var (code, stdout, stderr) = await CliRunner.RunAsync(["generate", "--model", _chatModel, "--prompt", "x", "--apply-chat-template",
                "--max_new_tokens", "12", "--output", "json", .. method]);
            Assert.True(code == 0, method[1] + ": " + stderr);
            var root = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal([87], Fixtures.ReadLongs(root.GetProperty("prompt_token_ids"))); // "x"
            Assert.True(root.GetProperty("token_ids").GetArrayLength() > 0, method[1]);
            if (method[1] == "json")
            {
                var text = root.GetProperty("text").GetString()!;
                Assert.EndsWith("#", text); // the fixture's EOS, id 2
                Assert.Contains(JsonSerializer.Deserialize<string>(text[..^1]), new[] { "yes", "no" });
            }
        }
    }

    [Theory]
    [InlineData("--method", "beam", "--beam_width", "0")]
    [InlineData("--method", "beam", "--num_beams", "2", "--num_return_sequences", "3")]
    [InlineData("--method", "beam", "--early_stopping", "sometimes")]
    [InlineData("--method", "beam", "--length_penalty", "NaN")]
    [InlineData("--method", "beam", "--temperature", "0.7")]
    [InlineData("--method", "cot", "--cot_branches", "0")]
    [InlineData("--method", "cot", "--cot_answer_regex", "(")]
    [InlineData("--method", "json")]
    [InlineData("--method", "beams")]
    public async Task BadStrategyValuesExitWithCode2(params string[] bad)
    {
        var (code, _, stderr) = await CliRunner.RunAsync(["generate", "--model", Llama, "--input-ids", "1,2", "--max_new_tokens", "2", .. bad]);
        Assert.Equal(2, code);
        Assert.Contains("error", stderr);
    }
}
