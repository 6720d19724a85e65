namespace GenCluster.Decoding.Json;

/// <summary>A schema keyword (or keyword combination) that constrained decoding does not implement.</summary>
public sealed class UnsupportedSchemaException(string keyword, string path, string? detail = null)
    : Exception($"JSON schema keyword '{keyword}' at {path} is not supported by constrained decoding"
        + (detail is null ? "" : $" ({detail})")
        + "; supported: type, properties, required, additionalProperties, enum, const, anyOf, items, minItems, maxItems, minLength, maxLength, $ref to local $defs")
{
    /// <summary>The unsupported keyword, e.g. "pattern".</summary>
    public string Keyword { get; } = keyword;

    /// <summary>JSON pointer of the keyword, e.g. "#/properties/name/pattern".</summary>
    public string Path { get; } = path;
}
