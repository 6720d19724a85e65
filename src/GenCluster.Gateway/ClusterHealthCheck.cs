using GenCluster.Grains;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GenCluster.Gateway;

/// <summary>Healthy when the cluster answers and serves at least one model (what gRPC health "SERVING" means here).</summary>
public sealed class ClusterHealthCheck(IGrainFactory grains) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellation = default)
    {
        try
        {
            var models = await grains.GetGrain<IModelDirectoryGrain>(0).List().WaitAsync(cancellation);
            return models.Count > 0
                ? HealthCheckResult.Healthy($"serving {string.Join(", ", models.Select(m => m.Name))}")
                : HealthCheckResult.Unhealthy("the cluster serves no model");
        }
        catch (Exception e) when (e is not OperationCanceledException) { return HealthCheckResult.Unhealthy("the cluster does not answer", e); }
    }
}
