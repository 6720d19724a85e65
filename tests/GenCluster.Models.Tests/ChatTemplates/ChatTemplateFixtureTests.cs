using System.Text.Json;
using GenCluster.Models.ChatTemplates;
using GenCluster.TestSupport;

namespace GenCluster.Models.Tests.ChatTemplates;

/// <summary>Every case of shared/fixtures/chat_templates/cases.json (transformers' own renderings of real templates).</summary>
public class ChatTemplateFixtureTests
{
    static readonly DateTime PinnedNow = new(2026, 1, 15, 12, 0, 0);
    static readonly Lazy<JsonElement> Cases = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Dir, "chat_templates", "cases.json"))).RootElement);

    public static IEnumerable<object[]> CaseIds() =>
        Cases.Value.EnumerateArray().Select((c, i) => new object[]
            { i, $"{c.GetProperty("template").GetString()}/{c.GetProperty("conversation").GetString()}/{c.GetProperty("add_generation_prompt").GetBoolean()}" });

    static string? OptionalString(JsonElement c, string name) => c.GetProperty(name).ValueKind == JsonValueKind.Null ? null : c.GetProperty(name).GetString();

    static string Render(JsonElement c)
    {
        string name = c.GetProperty("template").GetString()!;
        string source = File.ReadAllText(Path.Combine(Fixtures.Dir, "chat_templates", "templates", name + ".jinja"));
        var template = new ChatTemplate(source, OptionalString(c, "bos_token"), OptionalString(c, "eos_token"), () => PinnedNow);
        var extra = c.GetProperty("extra_context") is { ValueKind: JsonValueKind.Object } e
            ? e.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value) : null;
        return template.Render(c.GetProperty("messages"), c.GetProperty("add_generation_prompt").GetBoolean(), c.GetProperty("tools"), extra);
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void Renders_like_transformers(int index, string id)
    {
        var c = Cases.Value[index];
        string? expected = OptionalString(c, "expected");
        if (expected != null)
        {
            Assert.Equal(expected, Render(c));
            return;
        }
        if (c.GetProperty("error_type").GetString() == "TemplateError")
        {
            var raised = Assert.Throws<TemplateRaisedException>(() => Render(c));
            Assert.Equal(c.GetProperty("error").GetString(), raised.Message);
        }
        else
        {
            // A Python-side failure (e.g. str + None): we must fail too, with our own runtime error.
            Assert.Throws<TemplateRuntimeException>(() => Render(c));
        }
        Assert.NotEmpty(id);
    }
}
