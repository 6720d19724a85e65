using GenCluster.Sampling;

namespace GenCluster.Decoding.Cot;

/// <summary>A chain-of-thought decoding request (Wang &amp; Zhou 2024, arXiv 2402.10200).</summary>
public sealed record CotRequest
{
    /// <summary>The prompt, as token ids.</summary>
    public required IReadOnlyList<long> Prompt { get; init; }

    /// <summary>k: how many of the most likely first tokens start a branch (the paper uses 10).</summary>
    public int Branches { get; init; } = 10;

    /// <summary>The regex whose last match is the answer (its "answer" group or first group when present); default: the last number.</summary>
    public string AnswerPattern { get; init; } = AnswerSpan.LastNumber;

    /// <summary>MaxNewTokens (per branch, the first token included), stop strings and ids, and the logits processors; decoding is greedy.</summary>
    public SamplingParams Sampling { get; init; } = new();

    /// <summary>Token ids that end a branch.</summary>
    public IReadOnlyList<long> EosTokenIds { get; init; } = [];

    /// <summary>Policy for prompts that do not fit the context window.</summary>
    public ContextOverflow Overflow { get; init; } = ContextOverflow.Error;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field; returns this.</summary>
    public CotRequest Validate()
    {
        Sampling.Validate();
        if (Branches < 1) throw new ArgumentException($"cot_branches must be >= 1, got {Branches}");
        if (Prompt.Count == 0) throw new ArgumentException("the prompt needs at least one token");
        AnswerSpan.Compile(AnswerPattern);
        return this;
    }
}

/// <summary>One branch: its first token, greedy continuation, answer and the paper's confidence Δ.</summary>
/// <param name="Rank">Rank of the first token among the prompt's next-token candidates (0 = the greedy path).</param>
/// <param name="FirstToken">The token the branch was forced to start with.</param>
/// <param name="Tokens">All generated tokens, the first included.</param>
/// <param name="Text">The decoded branch.</param>
/// <param name="Answer">The answer span's text, or null when the pattern did not match.</param>
/// <param name="Confidence">Mean of p(top-1) - p(top-2) over the answer's tokens (0 without an answer).</param>
/// <param name="Finish">Why the branch ended.</param>
public sealed record CotBranch(int Rank, long FirstToken, long[] Tokens, string Text, string? Answer, double Confidence, FinishReason? Finish);

/// <summary>A distinct answer with the summed confidence of the branches that reached it (the paper's aggregated variant).</summary>
public sealed record CotAnswer(string Answer, double Confidence, int Branches);

/// <summary>The outcome: branches ranked by confidence, answers ranked by summed confidence, the chosen answer, and the forward passes run.</summary>
public sealed record CotResult(IReadOnlyList<CotBranch> Branches, IReadOnlyList<CotAnswer> Aggregated, string? Answer, int ForwardPasses);
