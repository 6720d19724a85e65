using System.Text.Json;
using GenCluster.Models.ChatTemplates;

namespace GenCluster.Models.Tests.ChatTemplates;

/// <summary>Single Jinja features against jinja2's own output (TestData/jinja), plus errors and the public API.</summary>
public class TemplateInterpreterTests
{
    static readonly Lazy<JsonElement> Cases = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "jinja", "interpreter_cases.json"))).RootElement);

    public static IEnumerable<object[]> CaseIndices() => Enumerable.Range(0, Cases.Value.GetArrayLength()).Select(i => new object[] { i });

    static string RenderWithVariables(string source)
    {
        var extra = new Dictionary<string, object?>
        {
            ["items"] = new List<object?> { 1, 2, 3 },
            ["d"] = JsonDocument.Parse("""{"a": 1, "b": "two"}""").RootElement,
            ["users"] = JsonDocument.Parse("""[{"name": "a", "admin": true}, {"name": "b", "admin": false}]""").RootElement,
        };
        return new ChatTemplate(source).Render([], addGenerationPrompt: false, extra: extra);
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Feature_renders_like_jinja2(int index)
    {
        var c = Cases.Value[index];
        Assert.Equal(c.GetProperty("expected").GetString(), RenderWithVariables(c.GetProperty("template").GetString()!));
    }

    [Fact]
    public void Raise_exception_carries_the_templates_message()
    {
        var template = new ChatTemplate("{% if messages[0].role == 'system' %}{{ raise_exception('no system role: ' ~ messages[0].role) }}{% endif %}ok");
        var error = Assert.Throws<TemplateRaisedException>(() => template.Render([ChatMessage.System("s")], false));
        Assert.Equal("no system role: system", error.Message);
        Assert.Equal("ok", template.Render([ChatMessage.User("u")], false));
    }

    [Fact]
    public void Strftime_now_uses_the_given_clock()
    {
        var template = new ChatTemplate("{{ strftime_now('%d %b %Y %H:%M') }}", clock: () => new DateTime(2026, 1, 5, 9, 7, 0));
        Assert.Equal("05 Jan 2026 09:07", template.Render([], false));
    }

    [Fact]
    public void Using_an_undefined_value_in_arithmetic_fails_with_its_name()
    {
        var error = Assert.Throws<TemplateRuntimeException>(() => new ChatTemplate("ok\n{% if true %}\n{{ 'a' + nothing_here }}{% endif %}").Render([], false));
        Assert.Equal("line 3: 'nothing_here' is undefined", error.Message);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void Concatenating_none_to_a_string_fails_like_python()
    {
        var template = new ChatTemplate("{{ 'x' + messages[0].content }}");
        var error = Assert.Throws<TemplateRuntimeException>(() => template.Render([new ChatMessage("assistant", null)], false));
        Assert.Equal("can only concatenate str (not \"NoneType\") to str", error.Reason);
    }

    [Fact]
    public void Syntax_errors_name_the_line()
    {
        var error = Assert.Throws<TemplateSyntaxException>(() => new ChatTemplate("line1\n{% if x %}\nno end"));
        Assert.Contains("not closed", error.Message);
        var bad = Assert.Throws<TemplateSyntaxException>(() => new ChatTemplate("a\nb\n{{ 1 + }}"));
        Assert.Equal(3, bad.Line);
    }

    [Fact]
    public void Typed_messages_pass_extra_fields_to_the_template()
    {
        var call = JsonDocument.Parse("""[{"function": {"name": "f", "arguments": {"x": 1}}}]""").RootElement;
        var message = new ChatMessage("assistant", null) { Extra = [new("tool_calls", call)] };
        var template = new ChatTemplate("{% for m in messages %}{{ m.role }}:{{ m.content }}:{{ m.tool_calls[0].function.arguments | tojson }}{% endfor %}");
        Assert.Equal("assistant:None:{\"x\": 1}", template.Render([message], false));
    }

    [Fact]
    public void Tokenizer_config_with_named_templates_picks_tool_use_only_for_tools()
    {
        string dir = Directory.CreateTempSubdirectory("gc-template").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """
                {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>",
                 "chat_template": [{"name": "default", "template": "D{{ bos_token }}{{ eos_token }}"},
                                   {"name": "tool_use", "template": "T{{ tools | length }}"}]}
                """);
            Assert.Equal("D<s></s>", ChatTemplate.FromTokenizerConfig(dir).Render([], false));
            var tools = JsonDocument.Parse("[{}, {}]").RootElement;
            Assert.Equal("T2", ChatTemplate.FromTokenizerConfig(dir, forTools: true).Render([], false, tools));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_template_file_override_gets_the_folders_special_tokens()
    {
        string dir = Directory.CreateTempSubdirectory("gc-template").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "chat_template": "ignored"}""");
            var template = ChatTemplate.FromSource("{{ bos_token }}|{{ pad_token }}|{{ unk_token is defined }}", dir);
            Assert.Equal("<s>|<pad>|False", template.Render([], false));
            File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), "from jinja file {{ eos_token }}");
            Assert.Equal("from jinja file </s>", ChatTemplate.FromTokenizerConfig(dir).Render([], false));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_folder_without_a_template_is_reported()
    {
        string dir = Directory.CreateTempSubdirectory("gc-template").FullName;
        try
        {
            var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.FromTokenizerConfig(dir));
            Assert.Contains("no chat template", error.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
