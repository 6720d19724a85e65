namespace GenCluster.Decoding;

/// <summary>
/// A generation advanced one step (one target forward pass) at a time: the plain loop, or a decoder that
/// emits several tokens per step (speculative, Medusa). Writers and streams work on any of them.
/// </summary>
public interface IGenerationRun : IDisposable
{
    /// <summary>Number of sequences.</summary>
    int SequenceCount { get; }

    /// <summary>True when every sequence has finished.</summary>
    bool IsFinished { get; }

    /// <summary>The (possibly truncated) prompt of a sequence.</summary>
    IReadOnlyList<long> PromptOf(int sequence);

    /// <summary>Tokens generated so far by a sequence.</summary>
    IReadOnlyList<long> Generated(int sequence);

    /// <summary>Why a sequence ended, or null while it runs.</summary>
    FinishReason? FinishOf(int sequence);

    /// <summary>Counters so far.</summary>
    GenerationStats Stats { get; }

    /// <summary>Runs one step and returns the events it produced.</summary>
    IReadOnlyList<GenerationEvent> Step();

    /// <summary>Ends every running sequence with finish reason cancelled.</summary>
    IReadOnlyList<GenerationEvent> Cancel();
}
