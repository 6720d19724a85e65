namespace GenCluster.Sampling;

/// <summary>
/// How the next token is chosen: transformers' GenerationConfig names and meanings (do_sample, temperature, top_k, ...)
/// plus the OpenAI/vLLM request fields (presence/frequency penalty, logit bias, seed, stop, n, logprobs).
/// </summary>
/// <remarks>
/// Every default leaves its processor off, so <c>new SamplingParams { TopK = 5, DoSample = true }</c> is top-k alone.
/// As in transformers, temperature and the filters (top-k ... eta) act only when <see cref="DoSample"/> is true;
/// penalties, bans, logit bias and min-new-tokens always act. Temperature 0 means greedy.
/// </remarks>
public sealed record SamplingParams
{
    /// <summary>Sample from the processed distribution (true) or take its argmax (false, transformers' default).</summary>
    public bool DoSample { get; init; }

    /// <summary>Divides the logits before the filters; 1 is off, 0 means greedy.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep the k highest scores (ties with the k-th kept); 0 is off.</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus: keep the smallest top set whose probability reaches top_p; 1 is off.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Drop tokens whose probability is below min_p times the top probability; 0 is off.</summary>
    public double MinP { get; init; }

    /// <summary>Locally typical sampling mass; 1 is off.</summary>
    public double TypicalP { get; init; } = 1.0;

    /// <summary>Drop tokens whose probability is below this; 0 is off.</summary>
    public double EpsilonCutoff { get; init; }

    /// <summary>Eta sampling's epsilon (cutoff min(eps, sqrt(eps) exp(-entropy))); 0 is off.</summary>
    public double EtaCutoff { get; init; }

    /// <summary>CTRL repetition penalty over prompt and generated tokens; 1 is off.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>Ban any token that would repeat an n-gram of this size; 0 is off.</summary>
    public int NoRepeatNgramSize { get; init; }

    /// <summary>Suppress EOS until this many tokens were generated; 0 is off.</summary>
    public int MinNewTokens { get; init; }

    /// <summary>Stop after this many generated tokens (read by the decoding loop, not by a processor).</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>The filters never keep fewer than this many tokens.</summary>
    public int MinTokensToKeep { get; init; } = 1;

    /// <summary>OpenAI presence penalty: subtracted once from every token generated so far; 0 is off.</summary>
    public double PresencePenalty { get; init; }

    /// <summary>OpenAI frequency penalty: subtracted once per occurrence among generated tokens; 0 is off.</summary>
    public double FrequencyPenalty { get; init; }

    /// <summary>OpenAI logit bias: token id to a value in [-100, 100] added to its logit; null is off.</summary>
    public IReadOnlyDictionary<long, double>? LogitBias { get; init; }

    /// <summary>The sequence seed: with the step index it determines every draw; null lets the caller pick one.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Strings that end the generation (read by the decoding loop).</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Token ids that end the generation besides the model's EOS (read by the decoding loop).</summary>
    public IReadOnlyList<long> StopTokenIds { get; init; } = [];

    /// <summary>How many completions to generate for the request.</summary>
    public int N { get; init; } = 1;

    /// <summary>Return the chosen token's log-probability.</summary>
    public bool Logprobs { get; init; }

    /// <summary>How many most likely alternatives (with log-probabilities) to return per token, 0 to 20.</summary>
    public int TopLogprobs { get; init; }

    /// <summary>True when the next token is the argmax: <see cref="DoSample"/> false or temperature 0.</summary>
    public bool IsGreedy => !DoSample || Temperature == 0;

    /// <summary>Throws <see cref="SamplingParamsException"/> naming the first field outside its range; returns this.</summary>
    public SamplingParams Validate()
    {
        Require(Temperature >= 0 && double.IsFinite(Temperature), "temperature", Temperature, "a finite number >= 0 (0 means greedy)");
        Require(TopK >= 0, "top_k", TopK, ">= 0 (0 turns it off)");
        Require(TopP > 0 && TopP <= 1, "top_p", TopP, "in (0, 1]");
        Require(MinP >= 0 && MinP <= 1, "min_p", MinP, "in [0, 1]");
        Require(TypicalP > 0 && TypicalP <= 1, "typical_p", TypicalP, "in (0, 1]");
        Require(EpsilonCutoff >= 0 && EpsilonCutoff < 1, "epsilon_cutoff", EpsilonCutoff, "in (0, 1), or 0 to turn it off");
        Require(EtaCutoff >= 0 && EtaCutoff < 1, "eta_cutoff", EtaCutoff, "in (0, 1), or 0 to turn it off");
        Require(RepetitionPenalty > 0 && double.IsFinite(RepetitionPenalty), "repetition_penalty", RepetitionPenalty, "a finite number > 0");
        Require(PresencePenalty >= -2 && PresencePenalty <= 2, "presence_penalty", PresencePenalty, "in [-2, 2]");
        Require(FrequencyPenalty >= -2 && FrequencyPenalty <= 2, "frequency_penalty", FrequencyPenalty, "in [-2, 2]");
        Require(NoRepeatNgramSize >= 0, "no_repeat_ngram_size", NoRepeatNgramSize, ">= 0 (0 turns it off)");
        Require(MaxNewTokens >= 1, "max_new_tokens", MaxNewTokens, ">= 1");
        Require(MinNewTokens >= 0 && MinNewTokens <= MaxNewTokens, "min_new_tokens", MinNewTokens, $"in [0, max_new_tokens = {MaxNewTokens}]");
        Require(MinTokensToKeep >= 1, "min_tokens_to_keep", MinTokensToKeep, ">= 1");
        Require(N >= 1, "n", N, ">= 1");
        Require(TopLogprobs >= 0 && TopLogprobs <= 20, "top_logprobs", TopLogprobs, "in [0, 20]");
        foreach (var id in StopTokenIds)
            Require(id >= 0, "stop_token_ids", id, "token ids >= 0");
        foreach (var s in Stop)
            Require(!string.IsNullOrEmpty(s), "stop", s, "non-empty strings");
        foreach (var (id, bias) in LogitBias ?? new Dictionary<long, double>())
        {
            Require(id >= 0, "logit_bias", id, "keyed by token ids >= 0");
            Require(bias >= -100 && bias <= 100, $"logit_bias[{id}]", bias, "in [-100, 100]");
        }
        return this;
    }

    // Written as "ok or throw" so that NaN, which fails every comparison, is rejected too.
    static void Require(bool ok, string field, object? value, string allowed)
    {
        if (!ok) throw new SamplingParamsException(field, value, allowed);
    }
}
