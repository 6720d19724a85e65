using GenCluster.Models.Runtime;

namespace GenCluster.Decoding;

/// <summary>
/// A run whose step can be split around its forward pass, so that a host batches the passes of several runs on the
/// same model into one multi-cache forward (continuous batching, <see cref="ICausalLM.Forward(IReadOnlyList{CachedForward})"/>):
/// it asks each run for <see cref="NextForward"/>, runs them together and hands each run its result.
/// </summary>
public interface IBatchableRun : IGenerationRun
{
    /// <summary>
    /// The forward pass the next step needs, over the run's own KV cache, or null when the next step must run alone
    /// (<see cref="IGenerationRun.Step"/>). Asked again before the step is finished, it returns an equal pass.
    /// </summary>
    CachedForward? NextForward();

    /// <summary>
    /// Finishes the step whose pass <see cref="NextForward"/> returned, given that pass's result (the caller keeps
    /// ownership of it); the events are those <see cref="IGenerationRun.Step"/> would have returned.
    /// </summary>
    IReadOnlyList<GenerationEvent> Step(ForwardResult forward);
}
