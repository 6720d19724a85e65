namespace GenCluster.Grains.Sessions;

/// <summary>
/// What a session persists in its own record: the order, status, the unsealed tail of its event log (the sealed
/// chunks are stored apart, see <see cref="SessionLog"/>), a beam search's checkpoint, counters and the outcome; enough
/// to rebuild the decoding state on any silo serving the model; the sampling state itself is (seed, step).
/// </summary>
[GenerateSerializer, Alias("GenCluster.SessionRecord")]
public sealed class SessionRecord
{
    [Id(0)] public GenerationOrder? Order { get; set; }
    /// <summary>Events after the sealed chunks.</summary>
    [Id(1)] public List<TokenEvent> Tail { get; set; } = [];
    [Id(2)] public SessionStatus Status { get; set; }
    [Id(3)] public string? Error { get; set; }
    [Id(4)] public DateTime? FinishedUtc { get; set; }
    [Id(5)] public int Activations { get; set; }
    [Id(6)] public string Silo { get; set; } = "";
    /// <summary>How many chunks of <see cref="SessionLog.ChunkSize"/> events precede <see cref="Tail"/>.</summary>
    [Id(7)] public int SealedChunks { get; set; }
    [Id(8)] public BeamCheckpoint? Beam { get; set; }
    /// <summary>Counters of the activations up to the last write.</summary>
    [Id(9)] public SessionStats Stats { get; set; } = new();
    [Id(10)] public RunOutcome? Outcome { get; set; }
    [Id(11)] public SearchProgress? Progress { get; set; }

    /// <summary>The client view of this record with its whole event log.</summary>
    public SessionInfo ToInfo(string sessionId, IReadOnlyList<TokenEvent> events)
    {
        var order = Order!;
        bool sampled = order.Decoding.Method is DecodingSpec.Sample or "json";
        int sequences = Math.Max(events.Select(e => e.Sequence + 1).DefaultIfEmpty(0).Max(), sampled ? order.Prompts.Length * order.Sampling.N : 0);
        var o = Outcome;
        var results = Enumerable.Range(0, sequences).Select(i =>
        {
            var mine = events.Where(e => e.Sequence == i).ToList();
            return new SequenceResult
            {
                TokenIds = mine.Where(e => e.TokenId >= 0).Select(e => e.TokenId).ToArray(),
                Text = string.Concat(mine.Select(e => e.TextDelta)),
                Finish = mine.LastOrDefault()?.Finish,
                Score = o?.Scores is { } scores && i < scores.Length ? scores[i] : null,
                Answer = o?.Answers?.ElementAtOrDefault(i),
                Confidence = o?.Confidences is { } c && i < c.Length ? c[i] : null,
            };
        }).ToArray();
        return new SessionInfo
        {
            SessionId = sessionId, Model = order.Model, Status = Status, Silo = Silo, Sequences = results, EventCount = events.Count,
            PromptTokens = order.Prompts.Sum(p => p.Length) * (sampled ? order.Sampling.N : 1),
            Activations = Activations, Error = Error, Answer = o?.Answer, Stats = Stats, Progress = Progress,
        };
    }
}
