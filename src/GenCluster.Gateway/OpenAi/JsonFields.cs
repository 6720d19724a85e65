using System.Text.Json;
using GenCluster.Grains;

namespace GenCluster.Gateway.OpenAi;

/// <summary>
/// Typed, range-checked reads of a JSON object's fields; a wrong type or value throws
/// <see cref="InvalidRequestException"/> naming the field (with <paramref name="prefix"/>, e.g. "messages[0].").
/// A field set to null counts as absent, as in the OpenAI API.
/// </summary>
internal sealed class JsonFields(JsonElement obj, string prefix = "")
{
    public bool Has(string name) => Get(name) is not null;

    public JsonElement Required(string name) => Get(name) ?? throw Bad(name, $"{prefix}{name} is required");

    public string? String(string name) => Get(name) is not { } e ? null
        : e.ValueKind == JsonValueKind.String ? e.GetString() : throw Bad(name, $"{prefix}{name} must be a string");

    public bool? Bool(string name) => Get(name) is not { } e ? null
        : e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : throw Bad(name, $"{prefix}{name} must be true or false");

    public JsonElement? Object(string name) => Get(name) is not { } e ? null
        : e.ValueKind == JsonValueKind.Object ? e : throw Bad(name, $"{prefix}{name} must be an object");

    public double? Number(string name, double min, double max)
    {
        if (Get(name) is not { } e) return null;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out var v)) throw Bad(name, $"{prefix}{name} must be a number");
        return v >= min && v <= max ? v : throw Bad(name, $"{prefix}{name} must be in [{min}, {max}], got {v}");
    }

    public long? Integer(string name, long min, long max)
    {
        if (Get(name) is not { } e) return null;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var v)) throw Bad(name, $"{prefix}{name} must be an integer");
        return v >= min && v <= max ? v : throw Bad(name, $"{prefix}{name} must be in [{min}, {max}], got {v}");
    }

    /// <summary>A string or an array of strings (OpenAI's stop), at most <paramref name="maxCount"/>.</summary>
    public string[] Strings(string name, int maxCount)
    {
        if (Get(name) is not { } e) return [];
        if (e.ValueKind == JsonValueKind.String) return [e.GetString()!];
        if (e.ValueKind != JsonValueKind.Array || e.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
            throw Bad(name, $"{prefix}{name} must be a string or an array of strings");
        var values = e.EnumerateArray().Select(x => x.GetString()!).ToArray();
        if (values.Length > maxCount) throw Bad(name, $"{prefix}{name} takes at most {maxCount} strings, got {values.Length}");
        if (values.Any(v => v.Length == 0)) throw Bad(name, $"{prefix}{name} must not contain an empty string");
        return values;
    }

    public long[] Integers(string name)
    {
        if (Get(name) is not { } e) return [];
        if (e.ValueKind != JsonValueKind.Array) throw Bad(name, $"{prefix}{name} must be an array of integers");
        return e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt64(out var v) && v >= 0 ? v
            : throw Bad(name, $"{prefix}{name} must hold non-negative integers, got {x}")).ToArray();
    }

    /// <summary>OpenAI's logit_bias: token id (as a string key) to a bias in [-100, 100].</summary>
    public IEnumerable<(long Token, double Bias)> LogitBias()
    {
        if (Get("logit_bias") is not { } e) return [];
        if (e.ValueKind != JsonValueKind.Object) throw Bad("logit_bias", $"{prefix}logit_bias must be an object of token id to bias");
        return e.EnumerateObject().Select(p =>
            long.TryParse(p.Name, out var token) && token >= 0 ? (token, p.Value.ValueKind == JsonValueKind.Number && p.Value.GetDouble() is var bias and >= -100 and <= 100 ? bias
                : throw Bad("logit_bias", $"{prefix}logit_bias[{p.Name}] must be a number in [-100, 100]"))
            : throw Bad("logit_bias", $"{prefix}logit_bias keys must be token ids, got '{p.Name}'")).ToList();
    }

    JsonElement? Get(string name) => obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var e) && e.ValueKind != JsonValueKind.Null ? e : null;

    InvalidRequestException Bad(string name, string message) => new(prefix + name, message);
}
