using GenCluster.Decoding;
using GenCluster.Grains.Models;
using GenCluster.Sampling;

namespace GenCluster.Grains.Sessions;

/// <summary>Turns a wire <see cref="GenerationOrder"/> into the decoding library's request, naming the bad field on invalid input.</summary>
public static class OrderTranslation
{
    /// <summary>The validated sampling parameters of an order.</summary>
    public static SamplingParams Sampling(SamplingSpec s)
    {
        var p = new SamplingParams
        {
            DoSample = s.DoSample, Temperature = s.Temperature, TopK = s.TopK, TopP = s.TopP, MinP = s.MinP, TypicalP = s.TypicalP,
            EpsilonCutoff = s.EpsilonCutoff, EtaCutoff = s.EtaCutoff, RepetitionPenalty = s.RepetitionPenalty,
            NoRepeatNgramSize = s.NoRepeatNgramSize, MinNewTokens = s.MinNewTokens, MaxNewTokens = s.MaxNewTokens,
            PresencePenalty = s.PresencePenalty, FrequencyPenalty = s.FrequencyPenalty, LogitBias = s.LogitBias, Seed = s.Seed,
            Stop = s.Stop, StopTokenIds = s.StopTokenIds, N = s.N, Logprobs = true, TopLogprobs = s.TopLogprobs,
        };
        try { return string.IsNullOrEmpty(s.Method) ? p.Validate() : SamplingMethods.Apply(s.Method, p); }
        catch (SamplingParamsException e) { throw new InvalidRequestException(e.Field, e.Message); }
    }

    /// <summary>
    /// KV-cache token slots the order may need at most: rows (prompts x n, beams or CoT branches) x (prompt +
    /// max_new_tokens + 1 + the tokens a verification round adds).
    /// </summary>
    public static long KvTokens(GenerationOrder order)
    {
        var d = order.Decoding;
        long rows = d.Method switch
        {
            "beam" => Math.Max(1, d.NumBeams),
            "cot" => Math.Max(1, d.CotBranches),
            _ => (long)order.Prompts.Length * Math.Max(1, order.Sampling.N),
        };
        int extra = d.Method switch { "speculative" or "prompt_lookup" => Math.Max(0, d.Lookahead), "medusa" => MedusaNodes, _ => 0 };
        return rows * (order.Prompts.Select(p => p.Length).DefaultIfEmpty(0).Max() + order.Sampling.MaxNewTokens + 1 + extra);
    }

    /// <summary>Cache slots reserved for a Medusa round's tree (the default sparse tree has at most 32 nodes).</summary>
    const int MedusaNodes = 64;

    /// <summary>Checks the strategy's own parameters; throws <see cref="InvalidRequestException"/> naming the field.</summary>
    public static DecodingSpec Validate(DecodingSpec d)
    {
        if (d.Method != DecodingSpec.Sample && !DecodingSpec.Strategies.Contains(d.Method))
            throw new InvalidRequestException("method", $"method must be a sampling method or one of {string.Join(", ", DecodingSpec.Strategies)}, got '{d.Method}'");
        static void Require(bool ok, string field, string message)
        {
            if (!ok) throw new InvalidRequestException(field, $"{field} {message}");
        }
        switch (d.Method)
        {
            case "beam":
                Require(d.NumBeams >= 1, "num_beams", $"must be >= 1, got {d.NumBeams}");
                Require(d.NumReturnSequences >= 1 && d.NumReturnSequences <= d.NumBeams, "num_return_sequences", $"must be in [1, num_beams = {d.NumBeams}], got {d.NumReturnSequences}");
                Require(d.EarlyStopping is "true" or "false" or "never", "early_stopping", $"must be true, false or never, got '{d.EarlyStopping}'");
                Require(double.IsFinite(d.LengthPenalty), "length_penalty", $"must be a finite number, got {d.LengthPenalty}");
                break;
            case "cot":
                Require(d.CotBranches >= 1, "cot_branches", $"must be >= 1, got {d.CotBranches}");
                break;
            case "speculative" or "prompt_lookup":
                Require(d.Lookahead >= 1, "lookahead", $"must be >= 1, got {d.Lookahead}");
                Require(d.PromptLookupNgram >= 1, "prompt_lookup_ngram", $"must be >= 1, got {d.PromptLookupNgram}");
                break;
            case "medusa":
                Require(d.MedusaAcceptance is "greedy" or "typical", "medusa_acceptance", $"must be greedy or typical, got '{d.MedusaAcceptance}'");
                break;
        }
        return d;
    }

    /// <summary>The decoding request for <paramref name="model"/>; throws <see cref="InvalidRequestException"/>.</summary>
    public static GenerationRequest ToRequest(GenerationOrder order, LocalModel model)
    {
        if (order.Prompts.Length == 0 || order.Prompts.Any(p => p.Length == 0))
            throw new InvalidRequestException("prompt", "prompt is empty: give a text prompt, chat messages or input_ids");
        int vocab = model.Loaded.Config.VocabSize;
        if (order.Prompts.SelectMany(p => p).Where(id => id < 0 || id >= vocab).Select(id => (long?)id).FirstOrDefault() is { } bad)
            throw new InvalidRequestException("input_ids", $"input_ids must be token ids in [0, {vocab}) for model '{order.Model}', got {bad}");
        var overflow = order.ContextOverflow switch
        {
            "" or "error" => ContextOverflow.Error,
            "truncate-left" or "truncate_left" => ContextOverflow.TruncateLeft,
            "slide" => ContextOverflow.Slide,
            var other => throw new InvalidRequestException("context_overflow", $"context_overflow must be error, truncate-left or slide, got '{other}'"),
        };
        return new GenerationRequest
        {
            Prompts = order.Prompts, Sampling = Sampling(order.Sampling), Overflow = overflow, DefaultSeed = order.DefaultSeed,
            EosTokenIds = order.EosTokenIds ?? model.Loaded.EosTokenIds,
        };
    }
}
