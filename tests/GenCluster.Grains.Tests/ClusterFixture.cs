using GenCluster.Grains.Hosting;
using GenCluster.TestSupport;
using Orleans.TestingHost;

namespace GenCluster.Grains.Tests;

/// <summary>
/// One three-silo cluster shared by the tests of a collection: silo 0 serves nothing, silos 1 and 2 serve llama-tiny
/// and the shipped default model (which has a tokenizer, for CoT and JSON). Only silo 1 has llama-tiny's draft
/// (llama-tiny-draft, served there) and Medusa heads (llama-tiny-medusa), so speculative and Medusa sessions must be
/// placed there; silo 1 also serves llama-tiny as "llama-budget" with a KV budget of 300 token slots and a 300 ms
/// admission timeout, and as "llama-medusa" and "llama-speculative", which run plain requests with their heads or draft.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    /// <summary>The small-budget model name.</summary>
    public const string BudgetModel = "llama-budget";

    /// <summary>llama-tiny on silo 1 accelerated by its Medusa heads (HostedModel.Accelerate = medusa).</summary>
    public const string MedusaAccelerated = "llama-medusa";

    /// <summary>llama-tiny on silo 1 accelerated by its draft (HostedModel.Accelerate = speculative).</summary>
    public const string DraftAccelerated = "llama-speculative";

    /// <summary>The shipped default model's name here.</summary>
    public const string TextModel = "default";

    /// <summary>The cluster.</summary>
    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>The cluster's client.</summary>
    public IClusterClient Client => Cluster.Client;

    /// <inheritdoc />
    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(3, Hosting);

    static ModelHostingOptions Hosting(int silo) => new()
    {
        PersistEveryTokens = 4,
        Models = silo switch
        {
            0 => [],
            1 =>
            [
                TestCluster.Llama() with { Draft = TestCluster.Draft, MedusaHeads = Fixtures.Model("llama-tiny-medusa") },
                new HostedModel { Name = TestCluster.Draft, Dir = Fixtures.Model(TestCluster.Draft) },
                Text,
                TestCluster.Llama(BudgetModel) with { KvTokenBudget = 300, AdmissionTimeout = TimeSpan.FromMilliseconds(300) },
                TestCluster.Llama(MedusaAccelerated) with { MedusaHeads = Fixtures.Model("llama-tiny-medusa"), Accelerate = "medusa" },
                TestCluster.Llama(DraftAccelerated) with { Draft = TestCluster.Draft, Accelerate = "speculative" },
            ],
            _ => [TestCluster.Llama(), Text],
        },
    };

    static HostedModel Text => new() { Name = TextModel, Dir = Path.Combine(Fixtures.RepoRoot, "models", "default") };

    /// <inheritdoc />
    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>Tests sharing <see cref="ClusterFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "cluster";
}
