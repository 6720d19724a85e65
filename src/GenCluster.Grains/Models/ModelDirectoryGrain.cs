using GenCluster.Grains.Placement;
using Orleans.Concurrency;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace GenCluster.Grains.Models;

/// <summary>Lists the served models from the active silos' metadata; a stateless worker, so any silo answers locally.</summary>
[StatelessWorker]
public sealed class ModelDirectoryGrain(IClusterMembershipService membership, ISiloMetadataCache metadata) : Grain, IModelDirectoryGrain
{
    /// <inheritdoc />
    public Task<IReadOnlyList<ServedModel>> List()
    {
        var active = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress);
        IReadOnlyList<ServedModel> models = active.SelectMany(s => ModelAffinityPlacementDirector.ModelsOf(metadata, s))
            .GroupBy(name => name).Select(g => new ServedModel(g.Key, g.Count())).OrderBy(m => m.Name).ToList();
        return Task.FromResult(models);
    }
}
