using GenCluster.Models.Hub;

namespace GenCluster.Cli;

/// <summary>
/// Finds the model folder a command should use: --model (a folder, or a hub id like org/name downloaded into the
/// Hugging Face cache), else $GENCLUSTER_MODEL, else the shipped models/default.
/// </summary>
internal static class ModelLocator
{
    public const string DefaultName = "default";

    /// <summary>A local folder only (commands that must not download).</summary>
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

    /// <summary>A folder, or a hub repository downloaded (resumably, with a progress line on stderr) from HF_ENDPOINT.</summary>
    public static async Task<string> ResolveOrDownloadAsync(string? model, string? hfToken, TextWriter stderr, CancellationToken cancellation)
    {
        model ??= Environment.GetEnvironmentVariable("GENCLUSTER_MODEL");
        if (model is null || Directory.Exists(model)) return Resolve(model);
        if (!model.Contains('/') || model.StartsWith('.') || model.StartsWith('/'))
            throw new UsageException($"model folder not found: {model}");
        var hub = new HubDownloader(HubOptions.FromEnvironment(hfToken));
        var progress = new Progress<DownloadProgress>(p =>
        {
            var total = p.BytesTotal is { } t ? $"{t / 1e6:F1} MB" : "?";
            stderr.Write($"\rdownloading {p.File} ({p.FileIndex + 1}/{p.FileCount}): {p.BytesDone / 1e6:F1} / {total}   ");
        });
        try { return await hub.ResolveAsync(model, progress: progress, cancellationToken: cancellation); }
        finally { await stderr.WriteLineAsync(); }
    }

    /// <summary>
    /// The folder of a model's companion as the shipped models are laid out beside it: <paramref name="kind"/> "draft"
    /// (models/default-draft) or "medusa" (models/default-medusa).
    /// </summary>
    public static string CompanionPath(string modelDir, string kind) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDir)) + "-" + kind;

    /// <summary><see cref="CompanionPath"/> when a model or heads folder (with config.json) is there, else null.</summary>
    public static string? Companion(string modelDir, string kind)
    {
        var dir = CompanionPath(modelDir, kind);
        return File.Exists(Path.Combine(dir, "config.json")) ? dir : null;
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
