using System.Collections.Concurrent;
using GenCluster.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace GenCluster.Grains.Models;

/// <summary>The models this silo serves (from <see cref="ModelHostingOptions"/>), each loaded once, on first use.</summary>
public sealed class ModelCatalog(IOptions<ModelHostingOptions> options) : IDisposable
{
    readonly ConcurrentDictionary<string, Lazy<LocalModel>> _loaded = new();

    /// <summary>Silo metadata key listing the served model names, comma-separated.</summary>
    public const string MetadataKey = "gencluster.models";

    /// <summary>Names of the served models.</summary>
    public IReadOnlyList<string> Names => options.Value.Models.Select(m => m.Name).ToList();

    /// <summary>True when this silo serves <paramref name="model"/>.</summary>
    public bool Serves(string model) => options.Value.Models.Any(m => m.Name == model);

    /// <summary>The loaded model; throws <see cref="ModelNotServedException"/> when this silo does not serve it.</summary>
    public LocalModel Get(string model)
    {
        var spec = options.Value.Models.FirstOrDefault(m => m.Name == model) ?? throw new ModelNotServedException(model);
        return _loaded.GetOrAdd(model, _ => new Lazy<LocalModel>(() => LocalModel.Load(spec))).Value;
    }

    /// <summary>Frees every loaded model.</summary>
    public void Dispose()
    {
        foreach (var model in _loaded.Values.Where(l => l.IsValueCreated)) model.Value.Dispose();
    }
}
