using GenCluster.Grains.Placement;
using Orleans.Concurrency;

namespace GenCluster.Grains.Models;

/// <summary>The model host of one model on one silo: KV admission in front of the silo's loaded copy.</summary>
[HostSiloPlacement, Reentrant, KeepAlive]
public sealed class ModelHostGrain(ModelCatalog catalog, ILocalSiloDetails silo) : Grain, IModelHostGrain
{
    LocalModel? _model;
    KvAdmission? _admission;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellation)
    {
        var (model, _) = ModelHostKey.Parse(this.GetPrimaryKeyString());
        // Loads the weights here, once per silo, off the scheduler: the first session waits for it.
        return Task.Run(() =>
        {
            _model = catalog.Get(model);
            _admission = new KvAdmission(model, _model.Spec.KvTokenBudget);
        }, cancellation);
    }

    /// <inheritdoc />
    public async Task<ModelLease> Admit(string sessionId, long kvTokens, SiloAddress callerSilo)
    {
        // Without this check a remote caller would only see its call time out: the reply cannot be serialized.
        if (!callerSilo.Equals(silo.SiloAddress)) throw new LocalOnlyMessageException(typeof(ModelLease));
        await _admission!.AdmitAsync(sessionId, kvTokens, _model!.Spec.AdmissionTimeout);
        return new ModelLease(sessionId, kvTokens, _model);
    }

    /// <inheritdoc />
    public Task Release(string sessionId)
    {
        _admission!.Release(sessionId);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<HostLoad> Load() => Task.FromResult(new HostLoad(_admission!.Admitted, _admission.Used, _model!.Spec.KvTokenBudget, _admission.Waiting, _model.Executor.Queued));
}
