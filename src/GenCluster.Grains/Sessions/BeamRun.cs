using System.Diagnostics;
using GenCluster.Decoding;
using GenCluster.Decoding.Beam;

namespace GenCluster.Grains.Sessions;

/// <summary>
/// A beam search as a session: its steps log nothing (beams are rewritten every step) but checkpoint the search; when it
/// ends, the returned hypotheses become the log's sequences, best first, with their scores. Cancelled, it logs the
/// best hypothesis so far.
/// </summary>
public sealed class BeamRun(BeamSearch search, Func<ITextStream>? text) : ISessionRun
{
    readonly Stopwatch _clock = new();
    bool _ended;

    /// <inheritdoc />
    public bool IsFinished => _ended;

    /// <inheritdoc />
    public StepOutput Step()
    {
        _clock.Start();
        search.Step();
        _clock.Stop();
        if (!search.IsFinished) return new([], Stats(), BeamCheckpoint.Of(search.State), Progress: Progress());
        _ended = true;
        var best = search.Result();
        var events = best.SelectMany((h, rank) => Events(rank, h.Tokens, h.EndsWithEos ? FinishReason.Eos : FinishReason.Length)).ToList();
        return new(events, Stats(), BeamCheckpoint.Of(search.State), new RunOutcome { Scores = best.Select(h => h.Score).ToArray() }, Progress());
    }

    /// <inheritdoc />
    public StepOutput Cancel()
    {
        _ended = true;
        var progress = search.Progress;
        var events = progress.BestTokens.Length > 0
            ? Events(0, progress.BestTokens, FinishReason.Cancelled)
            : [new GenerationEvent(0, -1, -1, "", 0, [], FinishReason.Cancelled)];
        return new(events, Stats(), BeamCheckpoint.Of(search.State), new RunOutcome { Scores = [progress.BestScore] });
    }

    SessionStats Stats() => new() { ForwardPasses = search.ForwardPasses, Seconds = _clock.Elapsed.TotalSeconds };

    SearchProgress Progress()
    {
        var p = search.Progress;
        return new() { Step = p.Step, BestTokenIds = p.BestTokens, BestText = Text(p.BestTokens), BestScore = p.BestScore, FinishedHypotheses = p.FinishedHypotheses };
    }

    string Text(long[] tokens)
    {
        if (text?.Invoke() is not { } stream) return "";
        return string.Concat(tokens.Select(stream.Push)) + stream.Flush();
    }

    /// <summary>One event per token of a hypothesis; the last carries the finish reason and the text held back.</summary>
    List<GenerationEvent> Events(int sequence, long[] tokens, FinishReason finish)
    {
        var stream = text?.Invoke();
        var events = tokens.Select((t, i) => new GenerationEvent(sequence, i, t, stream?.Push(t) ?? "", 0, [])).ToList();
        events[^1] = events[^1] with { TextDelta = events[^1].TextDelta + (stream?.Flush() ?? ""), Finish = finish };
        return events;
    }

    /// <summary>Releases the beams' KV cache.</summary>
    public void Dispose() => search.Dispose();
}
