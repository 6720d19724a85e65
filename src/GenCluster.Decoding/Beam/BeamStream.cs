using System.Runtime.CompilerServices;

namespace GenCluster.Decoding.Beam;

/// <summary>Runs a <see cref="BeamSearch"/> as an async stream of progress reports, one forward pass at a time off the caller's thread.</summary>
public static class BeamStream
{
    /// <summary>Yields the progress after every step until the search finishes; cancellation stops between steps (the state stays resumable).</summary>
    public static async IAsyncEnumerable<BeamProgress> RunAsync(BeamSearch search, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        while (!search.IsFinished)
        {
            cancellation.ThrowIfCancellationRequested();
            yield return await Task.Run(search.Step, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
