using System.Text.Json;

namespace GenCluster.TestSupport;

/// <summary>Locates ../shared/fixtures (tiny HF checkpoints and transformers' reference outputs) from any test folder.</summary>
public static class Fixtures
{
    static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The fixtures folder: $GENCLUSTER_FIXTURES, else the first ../shared/fixtures above the test binary.</summary>
    public static string Dir => Root.Value;

    /// <summary>Path of a fixture model folder, e.g. "llama-tiny".</summary>
    public static string Model(string name) => Path.Combine(Dir, "models", name);

    /// <summary>Parses a golden file, e.g. "greedy.json".</summary>
    public static JsonDocument Golden(string file) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "golden", file)));

    /// <summary>The repository root (the folder holding Cluster.sln).</summary>
    public static string RepoRoot => FindUp("Cluster.sln") ?? throw new DirectoryNotFoundException("Cluster.sln not found above " + AppContext.BaseDirectory);

    /// <summary>Reads a golden float (finite, or "-inf"/"inf"/"nan" strings).</summary>
    public static float ReadFloat(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch { "-inf" => float.NegativeInfinity, "inf" => float.PositiveInfinity, _ => float.NaN }
        : e.GetSingle();

    /// <summary>Reads a golden float array.</summary>
    public static float[] ReadFloats(JsonElement e) => e.EnumerateArray().Select(ReadFloat).ToArray();

    /// <summary>Reads a golden int64 array.</summary>
    public static long[] ReadLongs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();

    static string FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("GENCLUSTER_FIXTURES");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "fixtures");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("../shared/fixtures not found above " + AppContext.BaseDirectory + "; set GENCLUSTER_FIXTURES");
    }

    static string? FindUp(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, file))) return dir.FullName;
        return null;
    }
}
