namespace GenCluster.Grains;

/// <summary>
/// One generation, keyed by its session id (<see cref="SessionId"/>): runs the decoding loop next to its model,
/// persists its tokens and streams them to any number of watchers.
/// </summary>
[Alias("GenCluster.ISessionGrain")]
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Starts the generation (idempotent for the same order); throws <see cref="InvalidRequestException"/>,
    /// <see cref="ModelNotServedException"/> or <see cref="CapacityExceededException"/>.</summary>
    [Alias("Start")]
    Task<SessionInfo> Start(GenerationOrder order);

    /// <summary>
    /// The session's events from log position <paramref name="fromIndex"/> on, live until the session ends, in batches:
    /// each batch is every event logged since the previous one (one as soon as it is ready, more when the reader lags).
    /// </summary>
    [Alias("Watch")]
    IAsyncEnumerable<TokenEvent[]> Watch(int fromIndex, CancellationToken cancellation = default);

    /// <summary>Stops the generation; the running sequences end with finish reason "cancelled".</summary>
    [Alias("Cancel")]
    Task<SessionInfo> Cancel();

    /// <summary>The session's status, tokens so far and the silo running it.</summary>
    [Alias("GetInfo")]
    Task<SessionInfo> GetInfo();
}
