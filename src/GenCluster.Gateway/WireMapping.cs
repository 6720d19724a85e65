using GenCluster.Gateway.V1;
using GenCluster.Grains;
using SessionStatus = GenCluster.Gateway.V1.SessionStatus;
using SearchProgress = GenCluster.Gateway.V1.SearchProgress;

namespace GenCluster.Gateway;

/// <summary>Cluster messages in their gRPC form.</summary>
public static class WireMapping
{
    /// <summary>A batch of token events of <paramref name="sessionId"/>, as one message.</summary>
    public static GenerateEvent Tokens(string sessionId, IEnumerable<TokenEvent> events)
    {
        var batch = new TokenBatch();
        batch.Tokens.AddRange(events.Select(Delta));
        return new GenerateEvent { SessionId = sessionId, Tokens = batch };
    }

    static TokenDelta Delta(TokenEvent e)
    {
        var delta = new TokenDelta
        {
            Index = e.Position, Sequence = e.Sequence, TokenIndex = e.Index, TokenId = e.TokenId, Text = e.TextDelta, Logprob = e.Logprob,
            FinishReason = e.Finish ?? "",
        };
        delta.TopLogprobs.AddRange(e.TopLogprobs.Select(t => new TokenLogprob { TokenId = t.TokenId, Logprob = t.Logprob }));
        return delta;
    }

    /// <summary>The closing event of a stream.</summary>
    public static GenerateEvent Summary(SessionInfo info) => new() { SessionId = info.SessionId, Summary = Status(info) };

    /// <summary>A session's status.</summary>
    public static SessionStatus Status(SessionInfo info)
    {
        var status = new SessionStatus
        {
            SessionId = info.SessionId, Model = info.Model, Status = info.Status.ToString().ToLowerInvariant(), Silo = info.Silo,
            EventCount = info.EventCount, PromptTokens = info.PromptTokens, GeneratedTokens = info.Sequences.Sum(s => s.TokenIds.Length),
            Activations = info.Activations, Error = info.Error ?? "", Answer = info.Answer ?? "",
            Stats = new GenerationStats
            {
                ForwardPasses = info.Stats.ForwardPasses, DraftForwardPasses = info.Stats.DraftForwardPasses, Rounds = info.Stats.Rounds,
                Proposed = info.Stats.Proposed, Accepted = info.Stats.Accepted, Seconds = info.Stats.Seconds,
            },
        };
        if (info.Progress is { } p)
        {
            status.Progress = new SearchProgress { Step = p.Step, BestText = p.BestText, BestScore = p.BestScore, FinishedHypotheses = p.FinishedHypotheses };
            status.Progress.BestTokenIds.AddRange(p.BestTokenIds);
        }
        foreach (var s in info.Sequences)
        {
            var output = new SequenceOutput { Text = s.Text, FinishReason = s.Finish ?? "" };
            output.TokenIds.AddRange(s.TokenIds);
            if (s.Score is { } score) output.Score = score;
            if (s.Answer is { } answer) output.Answer = answer;
            if (s.Confidence is { } confidence) output.Confidence = confidence;
            status.Sequences.Add(output);
        }
        return status;
    }
}
