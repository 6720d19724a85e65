namespace GenCluster.Grains.Models;

/// <summary>
/// One per model per silo (key <see cref="ModelHostKey"/>), placed on the silo its key names: admits sessions
/// against the model's KV-cache budget and hands them the loaded model. Silo-internal: only co-located session
/// grains call it, since its lease cannot be serialized.
/// </summary>
[Alias("GenCluster.IModelHostGrain")]
public interface IModelHostGrain : IGrainWithStringKey
{
    /// <summary>Reserves KV room for a session (waiting up to the admission timeout) and returns the local model;
    /// refuses a caller on another silo (<paramref name="callerSilo"/>), since the lease cannot travel.</summary>
    [Alias("Admit")]
    Task<ModelLease> Admit(string sessionId, long kvTokens, SiloAddress callerSilo);

    /// <summary>Frees a session's reservation.</summary>
    [Alias("Release")]
    Task Release(string sessionId);

    /// <summary>Current admissions.</summary>
    [Alias("Load")]
    Task<HostLoad> Load();
}

/// <summary>A model host's admissions: sessions, reserved and total KV slots, waiting sessions, queued forward steps.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.HostLoad")]
public sealed record HostLoad([property: Id(0)] int Sessions, [property: Id(1)] long KvTokensUsed, [property: Id(2)] long KvTokenBudget,
    [property: Id(3)] int Waiting, [property: Id(4)] int QueuedSteps);

/// <summary>Keys of model host grains: "model|silo" (the silo in Orleans' parsable form).</summary>
public static class ModelHostKey
{
    /// <summary>The host key of <paramref name="model"/> on <paramref name="silo"/>.</summary>
    public static string For(string model, SiloAddress silo) => $"{model}|{silo.ToParsableString()}";

    /// <summary>The model and silo a key names.</summary>
    public static (string Model, SiloAddress Silo) Parse(string key)
    {
        int bar = key.LastIndexOf('|');
        if (bar <= 0) throw new ArgumentException($"model host key must look like <model>|<silo>, got '{key}'");
        return (key[..bar], SiloAddress.FromParsableString(key[(bar + 1)..]));
    }
}
