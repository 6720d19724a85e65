using GenCluster.Grains.Hosting;
using GenCluster.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace GenCluster.Grains.Tests;

/// <summary>Real in-process Orleans clusters for the tests: silo 0 serves no model, the others serve the fixture llama-tiny.</summary>
public static class TestCluster
{
    /// <summary>The fixture model's name in the test clusters.</summary>
    public const string Model = "llama-tiny";

    /// <summary>The fixture draft model of llama-tiny (its first layer), served under its folder name.</summary>
    public const string Draft = "llama-tiny-draft";

    /// <summary>The fixture model, served under <paramref name="name"/>.</summary>
    public static HostedModel Llama(string name = Model) => new() { Name = name, Dir = Fixtures.Model("llama-tiny") };

    /// <summary>Starts <paramref name="silos"/> silos; <paramref name="hosting"/> gives each silo (by instance number) its models.</summary>
    public static async Task<InProcessTestCluster> StartAsync(short silos, Func<int, ModelHostingOptions> hosting, ClusterStorage? storage = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddGenCluster(hosting(int.Parse(options.SiloName[(options.SiloName.LastIndexOf('_') + 1)..])), storage ?? new ClusterStorage());
            // Declare a killed silo dead within a few seconds (defaults take tens of seconds).
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
            // Lets ModelHostingOptions.ResumeCheckPeriod be seconds in tests (the production minimum is a minute).
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        await WaitForModelsAsync(cluster, hosting);
        return cluster;
    }

    /// <summary>Silo addresses whose hosting lists <paramref name="model"/>.</summary>
    public static SiloAddress[] SilosServing(InProcessTestCluster cluster, string model) =>
        cluster.Silos.Where(s => s.ServiceProvider.GetRequiredService<Models.ModelCatalog>().Serves(model)).Select(s => s.SiloAddress).ToArray();

    // Silo metadata reaches the other silos' caches shortly after they join; placement needs it.
    static async Task WaitForModelsAsync(InProcessTestCluster cluster, Func<int, ModelHostingOptions> hosting)
    {
        var expected = Enumerable.Range(0, cluster.Silos.Count).SelectMany(i => hosting(i).Models.Select(m => m.Name)).GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
        for (int attempt = 0; attempt < 100; attempt++)
        {
            bool ready = true;
            foreach (var silo in cluster.Silos)
            {
                var listed = await silo.ServiceProvider.GetRequiredService<IGrainFactory>().GetGrain<IModelDirectoryGrain>(0).List();
                ready &= expected.All(e => listed.Any(m => m.Name == e.Key && m.Silos == e.Value));
            }
            if (ready) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("silo metadata did not list the served models within 10 s");
    }
}
