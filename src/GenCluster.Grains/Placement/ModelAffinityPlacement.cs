using GenCluster.Grains.Models;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace GenCluster.Grains.Placement;

/// <summary>
/// Places a grain on a silo that serves the model its key names (a session id "id@model", or a bare model name),
/// as announced in the silos' metadata, so that logits and hidden states never leave the model's silo.
/// </summary>
[GenerateSerializer, Immutable, Alias("GenCluster.ModelAffinityPlacement")]
public sealed class ModelAffinityPlacement : PlacementStrategy
{
    /// <summary>The model a grain key names: the part after the last '@', or the whole key.</summary>
    public static string ModelOf(string key) => key[(key.LastIndexOf('@') + 1)..];
}

/// <summary>Marks a grain class for <see cref="ModelAffinityPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ModelAffinityPlacementAttribute() : PlacementAttribute(new ModelAffinityPlacement());

/// <summary>
/// Resolves <see cref="ModelAffinityPlacement"/>: a random active silo whose metadata lists the model and meets the
/// session's <see cref="SessionNeeds"/> (its draft, its Medusa heads).
/// </summary>
public sealed class ModelAffinityPlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    /// <inheritdoc />
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString()!;
        var model = ModelAffinityPlacement.ModelOf(key);
        var serving = ServingSilos(metadata, context.GetCompatibleSilos(target), model);
        if (serving.Length == 0) throw new ModelNotServedException(model);
        var needs = SessionNeeds.OfKey(key);
        var silos = serving.Where(s => SiloCapabilities.Meets(metadata, s, model, needs)).ToArray();
        if (silos.Length == 0) throw needs.Unmet(model);
        return Task.FromResult(silos[Random.Shared.Next(silos.Length)]);
    }

    /// <summary>The silos among <paramref name="candidates"/> whose metadata lists <paramref name="model"/>.</summary>
    public static SiloAddress[] ServingSilos(ISiloMetadataCache metadata, IEnumerable<SiloAddress> candidates, string model) =>
        candidates.Where(s => ModelsOf(metadata, s).Contains(model)).ToArray();

    /// <summary>The model names a silo announces.</summary>
    public static string[] ModelsOf(ISiloMetadataCache metadata, SiloAddress silo) => SiloCapabilities.List(metadata, silo, ModelCatalog.MetadataKey);
}
