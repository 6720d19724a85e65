namespace GenCluster.Grains.Hosting;

/// <summary>Where the cluster keeps membership, grain state and reminders.</summary>
public enum StorageKind
{
    /// <summary>Localhost clustering, in-memory state and reminders: the embedded default, nothing to install.</summary>
    Memory,
    /// <summary>Redis for clustering, grain state and reminders (the production option).</summary>
    Redis,
}

/// <summary>Storage settings, bound from configuration section "GenCluster:Storage".</summary>
public sealed class ClusterStorage
{
    /// <summary>The grain-storage provider name sessions persist to.</summary>
    public const string SessionStore = "sessions";

    /// <summary>Memory (default) or Redis.</summary>
    public StorageKind Kind { get; set; } = StorageKind.Memory;

    /// <summary>The StackExchange.Redis connection string when <see cref="Kind"/> is Redis, e.g. "localhost:6379".</summary>
    public string? RedisConnection { get; set; }
}
