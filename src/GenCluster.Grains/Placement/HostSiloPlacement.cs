using GenCluster.Grains.Models;
using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace GenCluster.Grains.Placement;

/// <summary>Places a grain keyed "model|silo" (see <see cref="ModelHostKey"/>) on the silo its key names.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.HostSiloPlacement")]
public sealed class HostSiloPlacement : PlacementStrategy;

/// <summary>Marks a grain class for <see cref="HostSiloPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class HostSiloPlacementAttribute() : PlacementAttribute(new HostSiloPlacement());

/// <summary>Resolves <see cref="HostSiloPlacement"/>: the silo in the key, which must be active.</summary>
public sealed class HostSiloPlacementDirector : IPlacementDirector
{
    /// <inheritdoc />
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var (model, silo) = ModelHostKey.Parse(target.GrainIdentity.Key.ToString()!);
        if (!context.GetCompatibleSilos(target).Contains(silo))
            throw new ModelNotServedException($"{model} (its host silo {silo} is not active)");
        return Task.FromResult(silo);
    }
}
