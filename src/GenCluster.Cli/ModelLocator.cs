namespace GenCluster.Cli;

/// <summary>Finds the model folder a command should use: --model, else $GENCLUSTER_MODEL, else the shipped models/default.</summary>
internal static class ModelLocator
{
    public const string DefaultName = "default";

    public static string Resolve(string? model)
    {
        model ??= Environment.GetEnvironmentVariable("GENCLUSTER_MODEL");
        if (model is not null)
        {
            if (Directory.Exists(model)) return model;
            throw new UsageException($"model folder not found: {model}");
        }
        return Shipped(DefaultName)
            ?? throw new UsageException("no --model given and the shipped models/default was not found (run from the repository, or set GENCLUSTER_MODEL)");
    }

    /// <summary>models/&lt;name&gt; searched upward from the working directory and from the executable.</summary>
    public static string? Shipped(string name)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "models", name);
                if (File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
            }
        return null;
    }
}
