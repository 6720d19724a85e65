using GenCluster.Models.Runtime;

namespace GenCluster.Grains.Models;

/// <summary>
/// A session's decode loop as the model executor drives it, one step per round: the executor asks every loop for the
/// forward pass its step needs, runs those passes as one batched forward and hands each loop its result; a loop with
/// no pass to share runs its step alone.
/// </summary>
public interface IDecodeLoop
{
    /// <summary>The forward pass this round's step needs, to batch with other sessions' passes; null to run the step alone (<see cref="Step()"/>).</summary>
    CachedForward? NextForward();

    /// <summary>Runs this round's step alone; false ends the loop.</summary>
    bool Step();

    /// <summary>Finishes this round's step with the result of the pass <see cref="NextForward"/> returned; false ends the loop.</summary>
    bool Step(ForwardResult forward);
}
