using System.Text.Json;
using GenCluster.TestSupport;

namespace GenCluster.Cli.Tests;

/// <summary>`gencluster tokenize` and `gencluster template` on real tokenizer files and the transformers reference renderings.</summary>
public sealed class TextCommandsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("gencluster-cli-text-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string Gpt2Tokenizer => Path.Combine(Fixtures.RepoRoot, "tests", "GenCluster.Models.Tests", "TestData", "tokenizers", "gpt2");

    [Fact]
    public async Task TokenizePrintsIdsAndPieces()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("tokenize", "--model", Gpt2Tokenizer, "--text", "Hello world", "--output", "json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(new long[] { 15496, 995 }, Fixtures.ReadLongs(json.RootElement.GetProperty("ids")));
        Assert.Equal("Ġworld", json.RootElement.GetProperty("pieces")[1].GetString());
        (code, stdout, _) = await CliRunner.RunAsync("tokenize", "--model", Gpt2Tokenizer, "--text", "Hello world");
        Assert.Equal("15496\tHello\n995\tĠworld\n", stdout.Replace("\r\n", "\n"));
    }

    public static IEnumerable<object[]> TemplateCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Dir, "chat_templates", "cases.json")));
        // One conversation per template keeps the CLI test quick; the interpreter's own tests cover all 187 cases.
        return doc.RootElement.EnumerateArray().Select((c, i) => (c, i)).GroupBy(x => x.c.GetProperty("template").GetString())
            .Select(g => new object[] { g.First().i }).ToArray();
    }

    [Theory]
    [MemberData(nameof(TemplateCases))]
    public async Task TemplateRendersExactlyOrFailsWithTheTemplatesMessage(int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Dir, "chat_templates", "cases.json")));
        var c = doc.RootElement[index];
        if (c.TryGetProperty("extra_context", out var extra) && extra.ValueKind != JsonValueKind.Null) return; // extra variables are not a CLI flag
        var name = c.GetProperty("template").GetString()!;
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), JsonSerializer.Serialize(new { bos_token = c.GetProperty("bos_token").GetString(), eos_token = c.GetProperty("eos_token").GetString() }));
        File.WriteAllText(Path.Combine(_dir, "messages.json"), c.GetProperty("messages").GetRawText());
        var args = new List<string> { "template", "--model", _dir, "--messages", Path.Combine(_dir, "messages.json"),
            "--chat-template", Path.Combine(Fixtures.Dir, "chat_templates", "templates", name + ".jinja") };
        if (c.GetProperty("add_generation_prompt").GetBoolean()) args.Add("--add-generation-prompt");
        if (c.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            File.WriteAllText(Path.Combine(_dir, "tools.json"), tools.GetRawText());
            args.AddRange(["--tools", Path.Combine(_dir, "tools.json")]);
        }
        var (code, stdout, stderr) = await CliRunner.RunAsync(args.ToArray());
        if (c.TryGetProperty("expected", out var expected) && expected.ValueKind == JsonValueKind.String)
        {
            Assert.True(code == 0, stderr);
            // The references were rendered with strftime_now fixed to 15 Jan 2026; the CLI uses today's date.
            var today = DateTime.Now.ToString("dd MMM yyyy", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expected.GetString()!.Replace("15 Jan 2026", today), stdout);
        }
        else
        {
            Assert.Equal(1, code);
            if (c.GetProperty("error_type").GetString() == "TemplateError") Assert.Contains(c.GetProperty("error").GetString()!, stderr);
        }
    }

    [Fact]
    public async Task RaiseExceptionExitsWith1AndTheTemplatesMessage()
    {
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), """{"chat_template": "{% if messages[0].role != 'user' %}{{ raise_exception('Conversations must start with a user message') }}{% endif %}ok"}""");
        File.WriteAllText(Path.Combine(_dir, "m.json"), """[{"role": "assistant", "content": "hi"}]""");
        var (code, stdout, stderr) = await CliRunner.RunAsync("template", "--model", _dir, "--messages", Path.Combine(_dir, "m.json"));
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains("Conversations must start with a user message", stderr);
        File.WriteAllText(Path.Combine(_dir, "m.json"), """[{"role": "user", "content": "hi"}]""");
        (code, stdout, _) = await CliRunner.RunAsync("template", "--model", _dir, "--messages", Path.Combine(_dir, "m.json"));
        Assert.Equal(0, code);
        Assert.Equal("ok", stdout);
    }
}
