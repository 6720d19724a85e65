namespace GenCluster.Grains;

/// <summary>A request field is invalid; <see cref="Field"/> names it as users spell it (snake_case).</summary>
[GenerateSerializer, Alias("GenCluster.InvalidRequestException")]
public sealed class InvalidRequestException(string field, string message) : Exception(message)
{
    [Id(0)] public string Field { get; } = field;
}

/// <summary>No active silo serves the requested model.</summary>
[GenerateSerializer, Alias("GenCluster.ModelNotServedException")]
public sealed class ModelNotServedException(string model) : Exception($"model '{model}' is not served by any active silo")
{
    [Id(0)] public string Model { get; } = model;
}

/// <summary>The model host's KV-cache budget is used up and no room freed within the admission timeout.</summary>
[GenerateSerializer, Alias("GenCluster.CapacityExceededException")]
public sealed class CapacityExceededException(string message) : Exception(message);

/// <summary>No session with this id exists (never started, or expired).</summary>
[GenerateSerializer, Alias("GenCluster.SessionNotFoundException")]
public sealed class SessionNotFoundException(string sessionId) : Exception($"session '{sessionId}' not found (never started, or expired)")
{
    [Id(0)] public string SessionId { get; } = sessionId;
}

/// <summary>Tells the errors a request itself caused from failures of the cluster (a silo gone, a dropped connection).</summary>
public static class RequestErrors
{
    /// <summary>
    /// The first of <see cref="InvalidRequestException"/>, <see cref="ModelNotServedException"/>,
    /// <see cref="SessionNotFoundException"/> or <see cref="CapacityExceededException"/> in <paramref name="error"/> and its
    /// inner exceptions; null when there is none.
    /// </summary>
    public static Exception? Find(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is InvalidRequestException or ModelNotServedException or SessionNotFoundException or CapacityExceededException) return e;
        return null;
    }
}
