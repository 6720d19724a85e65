namespace GenCluster.Decoding.Speculative;

/// <summary>
/// Counters of a draft-and-verify generation: each round proposes tokens, verifies them in one target forward and
/// emits the accepted ones plus one token from the target.
/// </summary>
public sealed record SpeculativeStats(int TargetForwardPasses, int DraftForwardPasses, int Rounds, int Proposed, int Accepted, int GeneratedTokens, double Seconds)
{
    /// <summary>Accepted proposals over all proposals (0 when nothing was proposed).</summary>
    public double AcceptanceRate => Proposed > 0 ? (double)Accepted / Proposed : 0;

    /// <summary>Tokens emitted per verification round (accepted proposals + the target's own token).</summary>
    public double MeanAcceptedLength => Rounds > 0 ? (double)(Accepted + Rounds) / Rounds : 0;

    /// <summary>Target forward passes per generated token (1 for the plain loop).</summary>
    public double TargetForwardsPerToken => GeneratedTokens > 0 ? (double)TargetForwardPasses / GeneratedTokens : 0;

    /// <summary>Generated tokens per second of wall time.</summary>
    public double TokensPerSecond => Seconds > 0 ? GeneratedTokens / Seconds : 0;
}
