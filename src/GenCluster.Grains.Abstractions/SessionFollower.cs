using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace GenCluster.Grains;

/// <summary>
/// Follows a session's events across silo failures, for clients that cannot <c>Resume</c> themselves (the HTTP API):
/// when the watch breaks for any reason but a request error or the caller's cancellation, it watches again from the
/// next position, and the session grain (reactivated on a silo that still serves the model) continues with the same
/// tokens. It gives up when no event has arrived for <see cref="MaxOutage"/> (the cluster's failure detection,
/// tens of seconds with Orleans' default membership settings, must fit in it).
/// </summary>
public static class SessionFollower
{
    /// <summary>How long the stream may stay broken before the last error reaches the caller.</summary>
    public static readonly TimeSpan MaxOutage = TimeSpan.FromMinutes(2);

    /// <summary>The event batches of <paramref name="session"/> from <paramref name="fromIndex"/> to its end.</summary>
    public static async IAsyncEnumerable<TokenEvent[]> FollowAsync(ISessionGrain session, int fromIndex, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        int next = fromIndex, failures = 0;
        var sinceEvent = Stopwatch.StartNew();
        while (true)
        {
            var events = session.Watch(next, cancellation).WithCancellation(cancellation).GetAsyncEnumerator();
            try
            {
                while (true)
                {
                    try
                    {
                        if (!await events.MoveNextAsync()) yield break;
                    }
                    catch (Exception error) when (Transient(error, cancellation) && sinceEvent.Elapsed < MaxOutage)
                    {
                        break;
                    }
                    var batch = events.Current;
                    if (batch.Length == 0) continue;
                    (failures, next) = (0, batch[^1].Position + 1);
                    sinceEvent.Restart();
                    yield return batch;
                }
            }
            finally { await events.DisposeAsync(); }
            // Back off (up to 2 s) while the cluster declares the silo dead and the session reactivates elsewhere.
            failures++;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * failures * failures)), cancellation);
        }
    }

    // Request errors and the caller's own cancellation are final; anything else (a silo gone, a dropped connection) is retried.
    static bool Transient(Exception error, CancellationToken cancellation) =>
        !cancellation.IsCancellationRequested && RequestErrors.Find(error) is null;
}
