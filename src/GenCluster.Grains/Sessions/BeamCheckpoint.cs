using GenCluster.Decoding.Beam;

namespace GenCluster.Grains.Sessions;

/// <summary>A beam search's <see cref="BeamState"/> in grain storage: prompt, step index, running beams and finished hypotheses.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.BeamCheckpoint")]
public sealed record BeamCheckpoint
{
    [Id(0)] public long[] Prompt { get; init; } = [];
    [Id(1)] public int Step { get; init; }
    [Id(2)] public long[][] BeamTokens { get; init; } = [];
    [Id(3)] public float[] BeamScores { get; init; } = [];
    [Id(4)] public long[][] FinishedTokens { get; init; } = [];
    [Id(5)] public double[] FinishedScores { get; init; } = [];
    [Id(6)] public bool[] FinishedOnEos { get; init; } = [];
    [Id(7)] public bool Done { get; init; }

    /// <summary>The checkpoint of a search state.</summary>
    public static BeamCheckpoint Of(BeamState s) => new()
    {
        Prompt = s.Prompt, Step = s.Step, BeamTokens = s.Beams.Select(b => b.Tokens).ToArray(), BeamScores = s.Beams.Select(b => b.Score).ToArray(),
        FinishedTokens = s.Finished.Select(h => h.Tokens).ToArray(), FinishedScores = s.Finished.Select(h => h.Score).ToArray(),
        FinishedOnEos = s.Finished.Select(h => h.EndsWithEos).ToArray(), Done = s.Done,
    };

    /// <summary>The state a <see cref="BeamSearch"/> resumes from.</summary>
    public BeamState ToState() => new(Prompt, Step,
        BeamTokens.Select((t, i) => new BeamRow(t, BeamScores[i])).ToArray(),
        FinishedTokens.Select((t, i) => new BeamHypothesis(t, FinishedScores[i], FinishedOnEos[i])).ToArray(), Done);
}
