namespace GenCluster.Grains;

/// <summary>
/// One generated token as it crosses silos: its position in the session's event log (what Resume counts), the
/// sequence and token index it belongs to, its text and log-probabilities, and the finish reason on a sequence's last event.
/// </summary>
[GenerateSerializer, Immutable, Alias("GenCluster.TokenEvent")]
public sealed record TokenEvent
{
    [Id(0)] public int Position { get; init; }
    [Id(1)] public int Sequence { get; init; }
    [Id(2)] public int Index { get; init; }
    /// <summary>The token id, or -1 on a cancellation event that carries no token.</summary>
    [Id(3)] public long TokenId { get; init; }
    [Id(4)] public string TextDelta { get; init; } = "";
    [Id(5)] public float Logprob { get; init; }
    [Id(6)] public TokenAlternative[] TopLogprobs { get; init; } = [];
    /// <summary>eos, length, stop or cancelled on the sequence's last event; null before.</summary>
    [Id(7)] public string? Finish { get; init; }
}

/// <summary>A likely alternative token with its log-probability.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.TokenAlternative")]
public sealed record TokenAlternative([property: Id(0)] long TokenId, [property: Id(1)] float Logprob);
