using GenCluster.Models.Config;
using GenCluster.Models.Runtime;
using static TorchSharp.torch;

namespace GenCluster.Grains.Models;

/// <summary>
/// Another served model seen from a session's executor thread: its forward passes run on that model's own executor
/// (the caller waits), so a draft model is never run by two threads at once even while it also serves its own sessions.
/// </summary>
public sealed class ExecutorBoundModel(LocalModel model) : ICausalLM
{
    /// <inheritdoc />
    public ModelConfig Config => model.Loaded.Model.Config;

    /// <inheritdoc />
    public Device Device => model.Loaded.Model.Device;

    /// <inheritdoc />
    public ScalarType Dtype => model.Loaded.Model.Dtype;

    /// <inheritdoc />
    public KvCache CreateCache(int batchSize, int capacity = 0) => model.Loaded.Model.CreateCache(batchSize, capacity);

    /// <summary>Runs the pass on the model's executor; the results leave that thread's dispose scope and belong to the caller.</summary>
    public ForwardResult Forward(ForwardRequest request, KvCache cache) => model.Executor.Invoke(() =>
    {
        using var scope = NewDisposeScope();
        var result = model.Loaded.Model.Forward(request, cache);
        result.Logits.DetachFromDisposeScope();
        result.Hidden?.DetachFromDisposeScope();
        return result;
    });

    /// <summary>Nothing: the model belongs to the silo's catalog.</summary>
    public void Dispose() { }
}
