using GenCluster.Grains.Hosting;
using GenCluster.Grains.Models;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace GenCluster.Grains.Placement;

/// <summary>
/// What a silo announces in its metadata (the models it serves, which of them have a draft served beside them or Medusa
/// heads) and whether a silo meets a session's <see cref="SessionNeeds"/>, read back by placement.
/// </summary>
public static class SiloCapabilities
{
    /// <summary>Metadata key listing "model=draft" pairs whose configured draft is served on the silo, comma-separated.</summary>
    public const string DraftsKey = "gencluster.drafts";

    /// <summary>Metadata key listing the models with Medusa heads on the silo, comma-separated.</summary>
    public const string MedusaKey = "gencluster.medusa";

    /// <summary>The metadata a silo hosting <paramref name="hosting"/> announces.</summary>
    public static Dictionary<string, string> Announce(ModelHostingOptions hosting)
    {
        var served = hosting.Models.Select(m => m.Name).ToHashSet();
        return new()
        {
            [ModelCatalog.MetadataKey] = string.Join(",", hosting.Models.Select(m => m.Name)),
            [DraftsKey] = string.Join(",", hosting.Models.Where(m => m.Draft is { } d && served.Contains(d)).Select(m => $"{m.Name}={m.Draft}")),
            [MedusaKey] = string.Join(",", hosting.Models.Where(m => m.MedusaHeads is not null).Select(m => m.Name)),
        };
    }

    /// <summary>True when <paramref name="silo"/> can run a session of <paramref name="model"/> with <paramref name="needs"/> (the model itself aside).</summary>
    public static bool Meets(ISiloMetadataCache metadata, SiloAddress silo, string model, SessionNeeds needs)
    {
        if (needs.MedusaHeads) return List(metadata, silo, MedusaKey).Contains(model);
        if (needs.Draft is { } draft) return List(metadata, silo, ModelCatalog.MetadataKey).Contains(draft);
        if (needs.ConfiguredDraft) return List(metadata, silo, DraftsKey).Any(pair => pair.StartsWith(model + "=", StringComparison.Ordinal));
        return true;
    }

    /// <summary>A comma-separated metadata entry of a silo, empty when absent.</summary>
    public static string[] List(ISiloMetadataCache metadata, SiloAddress silo, string key) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(key, out var names)
            ? names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];
}
