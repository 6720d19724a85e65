using Orleans.Storage;

namespace GenCluster.Grains.Sessions;

/// <summary>
/// A session's event log: all of it in memory, persisted in chunks so that a write never grows with the generation.
/// Every <see cref="ChunkSize"/> events form a chunk written once, under its own state name in the session's grain
/// storage; the record keeps only the events after the last sealed chunk. A chunk written just before a crash, with
/// the record not yet pointing at it, is simply written again (same events, since the continuation is deterministic).
/// </summary>
public sealed class SessionLog(IGrainStorage storage, GrainId grain)
{
    /// <summary>Events per sealed chunk.</summary>
    public const int ChunkSize = 64;

    readonly List<TokenEvent> _events = [];

    /// <summary>The events so far.</summary>
    public IReadOnlyList<TokenEvent> Events => _events;

    /// <summary>Appends an event.</summary>
    public void Add(TokenEvent e) => _events.Add(e);

    /// <summary>Reads the sealed chunks, then the record's tail.</summary>
    public async Task LoadAsync(SessionRecord record)
    {
        _events.Clear();
        for (int k = 0; k < record.SealedChunks; k++)
        {
            var events = (await ReadAsync(k)).State?.Events ?? [];
            if (events.Length != ChunkSize)
                throw new InvalidOperationException($"session {grain}: chunk {k} of its event log holds {events.Length} events, expected {ChunkSize} (storage lost it?)");
            _events.AddRange(events);
        }
        _events.AddRange(record.Tail);
    }

    /// <summary>Writes the chunks that filled up since the last call and leaves the rest as the record's tail (write the record next).</summary>
    public async Task SealAsync(SessionRecord record)
    {
        while ((record.SealedChunks + 1) * ChunkSize <= _events.Count)
        {
            var chunk = await ReadAsync(record.SealedChunks);
            chunk.State = new EventChunk { Events = _events.GetRange(record.SealedChunks * ChunkSize, ChunkSize).ToArray() };
            await storage.WriteStateAsync(Name(record.SealedChunks), grain, chunk);
            record.SealedChunks++;
        }
        int sealedCount = record.SealedChunks * ChunkSize;
        record.Tail = _events.GetRange(sealedCount, _events.Count - sealedCount);
    }

    /// <summary>Deletes the chunks (and one written past the record, if any).</summary>
    public async Task ClearAsync(SessionRecord record)
    {
        for (int k = 0; k <= record.SealedChunks; k++)
        {
            var chunk = await ReadAsync(k);
            if (chunk.RecordExists) await storage.ClearStateAsync(Name(k), grain, chunk);
        }
        _events.Clear();
    }

    // Reading first gives the write the stored ETag (storage refuses to overwrite a state it did not hand out).
    async Task<GrainState<EventChunk>> ReadAsync(int k)
    {
        var chunk = new GrainState<EventChunk>(new EventChunk());
        await storage.ReadStateAsync(Name(k), grain, chunk);
        return chunk;
    }

    static string Name(int k) => $"session-events-{k}";
}

/// <summary><see cref="SessionLog.ChunkSize"/> consecutive events of a session's log.</summary>
[GenerateSerializer, Alias("GenCluster.EventChunk")]
public sealed class EventChunk
{
    [Id(0)] public TokenEvent[] Events { get; set; } = [];
}
