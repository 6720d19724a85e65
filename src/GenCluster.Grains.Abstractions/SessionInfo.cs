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
    /// <summary>The chosen answer of a CoT decoding (null otherwise, or when no branch has one).</summary>
    [Id(9)] public string? Answer { get; init; }
    /// <summary>Counters summed over the session's activations.</summary>
    [Id(10)] public SessionStats Stats { get; init; } = new();
}

/// <summary>One sequence's tokens, text and finish reason.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.SequenceResult")]
public sealed record SequenceResult
{
    [Id(0)] public long[] TokenIds { get; init; } = [];
    [Id(1)] public string Text { get; init; } = "";
    [Id(2)] public string? Finish { get; init; }
    /// <summary>Beam search: the hypothesis' length-penalised score.</summary>
    [Id(3)] public double? Score { get; init; }
    /// <summary>CoT decoding: the branch's answer (null when its text has none).</summary>
    [Id(4)] public string? Answer { get; init; }
    /// <summary>CoT decoding: the branch's confidence (mean top-1 minus top-2 probability over the answer's tokens).</summary>
    [Id(5)] public double? Confidence { get; init; }
}

/// <summary>
/// A session's counters: target forward passes, and for draft-and-verify methods the draft passes, rounds, proposed
/// and accepted tokens; seconds spent decoding.
/// </summary>
[GenerateSerializer, Immutable, Alias("GenCluster.SessionStats")]
public sealed record SessionStats
{
    [Id(0)] public int ForwardPasses { get; init; }
    [Id(1)] public int DraftForwardPasses { get; init; }
    [Id(2)] public int Rounds { get; init; }
    [Id(3)] public int Proposed { get; init; }
    [Id(4)] public int Accepted { get; init; }
    [Id(5)] public double Seconds { get; init; }

    /// <summary>Counters of two activations added.</summary>
    public static SessionStats operator +(SessionStats a, SessionStats b) => new()
    {
        ForwardPasses = a.ForwardPasses + b.ForwardPasses, DraftForwardPasses = a.DraftForwardPasses + b.DraftForwardPasses,
        Rounds = a.Rounds + b.Rounds, Proposed = a.Proposed + b.Proposed, Accepted = a.Accepted + b.Accepted, Seconds = a.Seconds + b.Seconds,
    };
}
