using GenCluster.Grains.Models;
using GenCluster.Grains.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;
using StackExchange.Redis;

namespace GenCluster.Grains.Hosting;

/// <summary>Adds GenCluster's grains to a silo: served models (announced in silo metadata), placement, session storage and reminders.</summary>
public static class GenClusterSiloBuilder
{
    /// <summary>Configures a silo to serve <paramref name="hosting"/>'s models with <paramref name="storage"/> for sessions and reminders.</summary>
    public static ISiloBuilder AddGenCluster(this ISiloBuilder silo, ModelHostingOptions hosting, ClusterStorage storage)
    {
        silo.Services.AddSingleton<IOptions<ModelHostingOptions>>(Options.Create(hosting));
        silo.Services.AddSingleton<ModelCatalog>();
        silo.UseSiloMetadata(SiloCapabilities.Announce(hosting));
        silo.AddPlacementDirector<ModelAffinityPlacement, ModelAffinityPlacementDirector>();
        silo.AddPlacementDirector<HostSiloPlacement, HostSiloPlacementDirector>();
        switch (storage.Kind)
        {
            case StorageKind.Memory:
                silo.AddMemoryGrainStorage(ClusterStorage.SessionStore);
                silo.UseInMemoryReminderService();
                break;
            case StorageKind.Redis:
                var redis = RedisOptions(storage);
                silo.AddRedisGrainStorage(ClusterStorage.SessionStore, o => o.ConfigurationOptions = redis);
                silo.UseRedisReminderService(o => o.ConfigurationOptions = redis);
                break;
        }
        return silo;
    }

    /// <summary>The StackExchange.Redis options of a Redis storage setting; throws when the connection string is missing.</summary>
    public static ConfigurationOptions RedisOptions(ClusterStorage storage) =>
        ConfigurationOptions.Parse(storage.RedisConnection
            ?? throw new InvalidOperationException("GenCluster:Storage:RedisConnection is required when GenCluster:Storage:Kind is Redis (e.g. localhost:6379)"));
}
