namespace GenCluster.Models.Hub;

/// <summary>Where and how to reach a Hugging Face hub, with huggingface_hub's environment variables as defaults.</summary>
public sealed record HubOptions
{
    /// <summary>Hub base URL (HF_ENDPOINT, default https://huggingface.co).</summary>
    public string Endpoint { get; init; } = "https://huggingface.co";

    /// <summary>Bearer token (--hf-token, else HF_TOKEN); null for anonymous access.</summary>
    public string? Token { get; init; }

    /// <summary>Cache root holding models--org--name folders (HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub).</summary>
    public string CacheDir { get; init; } = "";

    /// <summary>Resolve from the cache only (HF_HUB_OFFLINE=1).</summary>
    public bool Offline { get; init; }

    /// <summary>How many times a cut transfer is resumed before giving up.</summary>
    public int MaxResumeAttempts { get; init; } = 5;

    /// <summary>Reads HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HOME, HF_HUB_OFFLINE; an explicit token wins over HF_TOKEN.</summary>
    public static HubOptions FromEnvironment(string? token = null)
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        string home = Env("HF_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface");
        return new HubOptions
        {
            Endpoint = (Env("HF_ENDPOINT") ?? "https://huggingface.co").TrimEnd('/'),
            Token = token ?? Env("HF_TOKEN"),
            CacheDir = Env("HF_HUB_CACHE") ?? Path.Combine(home, "hub"),
            Offline = Env("HF_HUB_OFFLINE") is "1" or "true" or "TRUE" or "yes" or "ON" or "on",
        };
    }
}
