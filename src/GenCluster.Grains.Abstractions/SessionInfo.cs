namespace GenCluster.Grains;

/// <summary>Lifecycle of a session.</summary>
public enum SessionStatus { Pending, Running, Finished, Cancelled, Failed }

/// <summary>A session's status and results so far.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.SessionInfo")]
public sealed record SessionInfo
{
    [Id(0)] public required string SessionId { get; init; }
    [Id(1)] public required string Model { get; init; }
    [Id(2)] public SessionStatus Status { get; init; }
    /// <summary>The silo running (or that last ran) the session.</summary>
    [Id(3)] public string Silo { get; init; } = "";
    [Id(4)] public SequenceResult[] Sequences { get; init; } = [];
    /// <summary>Events in the log so far (the next Resume index).</summary>
    [Id(5)] public int EventCount { get; init; }
    [Id(6)] public int PromptTokens { get; init; }
    /// <summary>How many activations ran this session (more than one after a silo failure or migration).</summary>
    [Id(7)] public int Activations { get; init; }
    [Id(8)] public string? Error { get; init; }
}

/// <summary>One sequence's tokens, text and finish reason.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.SequenceResult")]
public sealed record SequenceResult
{
    [Id(0)] public long[] TokenIds { get; init; } = [];
    [Id(1)] public string Text { get; init; } = "";
    [Id(2)] public string? Finish { get; init; }
}
