namespace GenCluster.Decoding.Json;

/// <summary>A schema that is malformed or that no JSON value can satisfy (e.g. minLength above maxLength).</summary>
public sealed class InvalidSchemaException(string path, string problem)
    : Exception($"invalid JSON schema at {path}: {problem}")
{
    /// <summary>JSON pointer of the offending schema location, e.g. "#/properties/name".</summary>
    public string Path { get; } = path;
}
