using System.Threading.Channels;
using GenCluster.Grains.Models;
using GenCluster.Models.Runtime;

namespace GenCluster.Grains.Sessions;

/// <summary>
/// A session grain's run as the model executor drives it: each step's output goes to the grain over
/// <paramref name="outputs"/>; a requested stop ends the loop before the next step, a requested cancel makes the next
/// step the cancellation (both flags are read on the executor thread, hence functions).
/// </summary>
public sealed class SessionDecodeLoop(ISessionRun run, ChannelWriter<StepOutput> outputs, Func<bool> stopping, Func<bool> cancelling) : IDecodeLoop
{
    /// <inheritdoc />
    public CachedForward? NextForward() => stopping() || cancelling() ? null : run.NextForward();

    /// <inheritdoc />
    public bool Step()
    {
        if (stopping()) return false;
        return Publish(cancelling() ? run.Cancel() : run.Step());
    }

    /// <inheritdoc />
    public bool Step(ForwardResult forward) => Publish(run.Step(forward));

    bool Publish(StepOutput output)
    {
        outputs.TryWrite(output);
        return !run.IsFinished;
    }
}
