using GenCluster.Decoding;
using GenCluster.Models.Runtime;

namespace GenCluster.Grains.Sessions;

/// <summary>
/// A run whose every token is an event as it is decided (sampling, JSON, speculative, prompt lookup, Medusa, CoT):
/// the log alone resumes it. <paramref name="outcome"/> adds the per-sequence results of the finished run (CoT answers).
/// </summary>
public sealed class StreamedRun(IGenerationRun run, Func<RunOutcome>? outcome = null) : ISessionRun
{
    /// <inheritdoc />
    public bool IsFinished => run.IsFinished;

    /// <inheritdoc />
    public StepOutput Step() => Output(run.Step());

    /// <inheritdoc />
    public CachedForward? NextForward() => (run as IBatchableRun)?.NextForward();

    /// <inheritdoc />
    public StepOutput Step(ForwardResult forward) =>
        Output(run is IBatchableRun batchable ? batchable.Step(forward) : throw new InvalidOperationException($"{run.GetType().Name} runs its steps alone"));

    /// <inheritdoc />
    public StepOutput Cancel() => Output(run.Cancel());

    StepOutput Output(IReadOnlyList<GenerationEvent> events) => new(events, Stats(), null, run.IsFinished ? outcome?.Invoke() : null);

    SessionStats Stats()
    {
        if (run is SingleSequenceRun s)
        {
            var x = s.SpeculativeStats;
            return new SessionStats
            {
                ForwardPasses = x.TargetForwardPasses, DraftForwardPasses = x.DraftForwardPasses, Rounds = x.Rounds,
                Proposed = x.Proposed, Accepted = x.Accepted, Seconds = x.Seconds,
            };
        }
        var stats = run.Stats;
        return new SessionStats { ForwardPasses = stats.ForwardPasses, Seconds = stats.Seconds };
    }

    /// <summary>Releases the run's KV caches.</summary>
    public void Dispose() => run.Dispose();
}
