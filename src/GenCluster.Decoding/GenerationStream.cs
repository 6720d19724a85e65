using System.Runtime.CompilerServices;

namespace GenCluster.Decoding;

/// <summary>Runs a <see cref="IGenerationRun"/> (the plain loop or a speculative/Medusa decoder) as an async stream of events, one forward pass at a time off the caller's thread.</summary>
public static class GenerationStream
{
    /// <summary>Streams every event; on cancellation the running sequences end with finish reason cancelled.</summary>
    public static async IAsyncEnumerable<GenerationEvent> RunAsync(IGenerationRun session, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        while (!session.IsFinished)
        {
            IReadOnlyList<GenerationEvent> events;
            if (cancellation.IsCancellationRequested) events = session.Cancel();
            else events = await Task.Run(session.Step, CancellationToken.None).ConfigureAwait(false);
            foreach (var e in events) yield return e;
        }
    }
}
