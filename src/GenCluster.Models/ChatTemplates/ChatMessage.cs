using System.Text.Json;

namespace GenCluster.Models.ChatTemplates;

/// <summary>One conversation turn as chat templates see it: role, content and any extra fields (tool_calls, tool_call_id, ...).</summary>
public sealed record ChatMessage(string Role, string? Content)
{
    /// <summary>Further fields passed to the template as-is, in order (e.g. "tool_calls", "tool_call_id", "name").</summary>
    public IReadOnlyList<KeyValuePair<string, JsonElement>> Extra { get; init; } = [];

    /// <summary>A system turn.</summary>
    public static ChatMessage System(string content) => new("system", content);

    /// <summary>A user turn.</summary>
    public static ChatMessage User(string content) => new("user", content);

    /// <summary>An assistant turn.</summary>
    public static ChatMessage Assistant(string content) => new("assistant", content);

    /// <summary>The template value: a dict with role, content, then the extra fields.</summary>
    internal Dict ToTemplateValue()
    {
        var d = new Dict { ["role"] = Role, ["content"] = Content };
        foreach (var (key, value) in Extra) d[key] = PythonJson.FromJson(value);
        return d;
    }
}
