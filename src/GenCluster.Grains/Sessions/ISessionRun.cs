using GenCluster.Decoding;
using GenCluster.Models.Runtime;

namespace GenCluster.Grains.Sessions;

/// <summary>
/// A decoding strategy as a session grain drives it: one step (a forward pass or a verification round) at a time on
/// the model's executor thread, each step handing back what the grain logs and persists.
/// </summary>
public interface ISessionRun : IDisposable
{
    /// <summary>True once the run has ended (its last step carried the outcome).</summary>
    bool IsFinished { get; }

    /// <summary>Runs one step.</summary>
    StepOutput Step();

    /// <summary>
    /// The forward pass the next step needs, for the executor to batch with other sessions' passes (continuous batching);
    /// null when the step runs alone (<see cref="Step()"/>): strategies other than plain generation always do.
    /// </summary>
    CachedForward? NextForward() => null;

    /// <summary>Finishes the step whose pass <see cref="NextForward"/> returned, given that pass's result.</summary>
    StepOutput Step(ForwardResult forward) => throw new InvalidOperationException($"{GetType().Name} runs its steps alone; it has no pass to finish");

    /// <summary>Ends the running sequences with finish reason cancelled.</summary>
    StepOutput Cancel();
}

/// <summary>
/// What a step hands the grain: the events to log, the counters of this activation so far, a beam search's
/// checkpoint (state beyond the log), and once the run has ended its outcome (scores, answers).
/// </summary>
public sealed record StepOutput(IReadOnlyList<GenerationEvent> Events, SessionStats Stats, BeamCheckpoint? Beam = null, RunOutcome? Outcome = null,
    SearchProgress? Progress = null);

/// <summary>Per-sequence results beyond tokens and text, known when a run ends: beam scores, CoT answers and confidences.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.RunOutcome")]
public sealed record RunOutcome
{
    /// <summary>Beam search: each returned hypothesis' score (sequence = rank).</summary>
    [Id(0)] public double[]? Scores { get; init; }
    /// <summary>CoT decoding: each branch's answer.</summary>
    [Id(1)] public string?[]? Answers { get; init; }
    /// <summary>CoT decoding: each branch's confidence.</summary>
    [Id(2)] public double[]? Confidences { get; init; }
    /// <summary>CoT decoding: the chosen answer.</summary>
    [Id(3)] public string? Answer { get; init; }
}
