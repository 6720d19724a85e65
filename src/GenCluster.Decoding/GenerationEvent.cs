using GenCluster.Sampling.Samplers;

namespace GenCluster.Decoding;

/// <summary>Why a sequence ended.</summary>
public enum FinishReason { Eos, Length, Stop, Cancelled }

/// <summary>
/// One generated token of one sequence: its index among that sequence's generated tokens, the text it adds
/// (held back while it may still be part of a stop string), its log-probabilities, and the finish reason when
/// it is the sequence's last event.
/// </summary>
public sealed record GenerationEvent(
    int Sequence, int Index, long TokenId, string TextDelta, float Logprob, IReadOnlyList<TokenLogprob> TopLogprobs,
    FinishReason? Finish = null)
{
    /// <summary>The lower-case name used on the wire: eos, length, stop, cancelled.</summary>
    public static string Name(FinishReason reason) => reason.ToString().ToLowerInvariant();
}

/// <summary>Counters of a finished or running generation.</summary>
public sealed record GenerationStats(int PromptTokens, int GeneratedTokens, int ForwardPasses, double Seconds)
{
    /// <summary>Generated tokens per second of wall time.</summary>
    public double TokensPerSecond => Seconds > 0 ? GeneratedTokens / Seconds : 0;
}
