namespace GenCluster.Grains.Sessions;

/// <summary>
/// What a session persists: the order and every event so far (tokens, text, log-probs), enough to rebuild the
/// decoding state on any silo serving the model; the sampling state itself is (seed, step), i.e. the event count.
/// </summary>
[GenerateSerializer, Alias("GenCluster.SessionRecord")]
public sealed class SessionRecord
{
    [Id(0)] public GenerationOrder? Order { get; set; }
    [Id(1)] public List<TokenEvent> Events { get; set; } = [];
    [Id(2)] public SessionStatus Status { get; set; }
    [Id(3)] public string? Error { get; set; }
    [Id(4)] public DateTime? FinishedUtc { get; set; }
    [Id(5)] public int Activations { get; set; }
    [Id(6)] public string Silo { get; set; } = "";

    /// <summary>Each sequence's generated token ids (cancellation markers excluded), for GenerationSession's resumeFrom.</summary>
    public IReadOnlyList<IReadOnlyList<long>> TokensPerSequence(int sequences)
    {
        var tokens = Enumerable.Range(0, sequences).Select(_ => new List<long>()).ToArray();
        foreach (var e in Events.Where(e => e.TokenId >= 0)) tokens[e.Sequence].Add(e.TokenId);
        return tokens;
    }

    /// <summary>The client view of this record.</summary>
    public SessionInfo ToInfo(string sessionId)
    {
        var order = Order!;
        int sequences = order.Prompts.Length * order.Sampling.N;
        var results = Enumerable.Range(0, sequences).Select(i =>
        {
            var mine = Events.Where(e => e.Sequence == i).ToList();
            return new SequenceResult
            {
                TokenIds = mine.Where(e => e.TokenId >= 0).Select(e => e.TokenId).ToArray(),
                Text = string.Concat(mine.Select(e => e.TextDelta)),
                Finish = mine.LastOrDefault()?.Finish,
            };
        }).ToArray();
        return new SessionInfo
        {
            SessionId = sessionId, Model = order.Model, Status = Status, Silo = Silo, Sequences = results, EventCount = Events.Count,
            PromptTokens = order.Prompts.Sum(p => p.Length) * order.Sampling.N, Activations = Activations, Error = Error,
        };
    }
}
