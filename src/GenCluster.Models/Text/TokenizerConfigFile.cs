using System.Text.Json;

namespace GenCluster.Models.Text;

/// <summary>The parts of a model folder's tokenizer_config.json that chat templates and tokenizers read.</summary>
public sealed class TokenizerConfigFile
{
    readonly JsonElement root;

    TokenizerConfigFile(JsonElement root) => this.root = root;

    /// <summary>Reads DIR/tokenizer_config.json (an empty config when the file is absent).</summary>
    public static TokenizerConfigFile Read(string modelDir)
    {
        string path = Path.Combine(modelDir, "tokenizer_config.json");
        if (!File.Exists(path)) return new TokenizerConfigFile(JsonDocument.Parse("{}").RootElement);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return new TokenizerConfigFile(doc.RootElement.Clone());
    }

    /// <summary>The raw JSON.</summary>
    public JsonElement Root => root;

    /// <summary>
    /// A special token's text: the field may be a string or an AddedToken object {"content": ...}; null when absent.
    /// </summary>
    public string? TokenContent(string field) =>
        root.TryGetProperty(field, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
            _ => null,
        } : null;

    /// <summary>A boolean field, or <paramref name="fallback"/> when absent or null.</summary>
    public bool Flag(string field, bool fallback) =>
        root.TryGetProperty(field, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    /// <summary>
    /// The chat template: a string, or from a list of {name, template} the "tool_use" one when tools are given
    /// and it exists, else "default" (transformers' selection rule).
    /// </summary>
    public string? ChatTemplate(bool forTools)
    {
        if (!root.TryGetProperty("chat_template", out var t)) return null;
        if (t.ValueKind == JsonValueKind.String) return t.GetString();
        if (t.ValueKind != JsonValueKind.Array) return null;
        var named = t.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("template").GetString());
        if (forTools && named.TryGetValue("tool_use", out var toolUse)) return toolUse;
        return named.GetValueOrDefault("default");
    }
}
