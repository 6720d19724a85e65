using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GenCluster.Models.ChatTemplates;

/// <summary>
/// Python's json.dumps as transformers' tojson filter calls it: ensure_ascii=False (non-ASCII kept, no HTML
/// escaping), separators ", " / ": " (or "," / ": " with indent), optional indent and sort_keys; plus the
/// conversion of JSON input (messages, tools) into template values.
/// </summary>
public static class PythonJson
{
    /// <summary>json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sortKeys).</summary>
    public static string Dumps(object? value, string? indent = null, string? itemSeparator = null, string? keySeparator = null, bool sortKeys = false)
    {
        var sb = new StringBuilder();
        Write(sb, value, indent, itemSeparator ?? (indent == null ? ", " : ","), keySeparator ?? ": ", sortKeys, 0);
        return sb.ToString();
    }

    static void Write(StringBuilder sb, object? value, string? indent, string itemSep, string keySep, bool sortKeys, int level)
    {
        switch (value)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : PyValue.FloatRepr(d));
                break;
            case string s: WriteString(sb, s); break;
            case List<object?> list:
                WriteContainer(sb, '[', ']', list, indent, itemSep, level,
                    item => Write(sb, item, indent, itemSep, keySep, sortKeys, level + 1));
                break;
            case Dict dict:
                IEnumerable<KeyValuePair<string, object?>> pairs = sortKeys ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal) : dict;
                WriteContainer(sb, '{', '}', pairs.ToList(), indent, itemSep, level, kv =>
                {
                    WriteString(sb, kv.Key);
                    sb.Append(keySep);
                    Write(sb, kv.Value, indent, itemSep, keySep, sortKeys, level + 1);
                });
                break;
            default:
                throw new TemplateRuntimeException($"Object of type {PyValue.TypeName(value)} is not JSON serializable");
        }
    }

    static void WriteContainer<T>(StringBuilder sb, char open, char close, List<T> items, string? indent, string itemSep, int level, Action<T> writeItem)
    {
        sb.Append(open);
        if (items.Count == 0) { sb.Append(close); return; }
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(itemSep);
            if (indent != null) sb.Append('\n').Append(string.Concat(Enumerable.Repeat(indent, level + 1)));
            writeItem(items[i]);
        }
        if (indent != null) sb.Append('\n').Append(string.Concat(Enumerable.Repeat(indent, level)));
        sb.Append(close);
    }

    static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Converts parsed JSON into template values (objects keep key order; integers become long).</summary>
    public static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => ToDict(e),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out long l) && !e.GetRawText().Contains('.') && !e.GetRawText().Contains('e', StringComparison.OrdinalIgnoreCase)
            ? (object)l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    static Dict ToDict(JsonElement e)
    {
        var d = new Dict();
        foreach (var p in e.EnumerateObject()) d[p.Name] = FromJson(p.Value);
        return d;
    }
}
