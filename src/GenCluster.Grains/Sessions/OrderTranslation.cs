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

    /// <summary>KV-cache token slots the order may need at most: rows x (prompt + max_new_tokens + 1).</summary>
    public static long KvTokens(GenerationOrder order) =>
        (long)order.Prompts.Length * Math.Max(1, order.Sampling.N) * ((order.Prompts.Select(p => p.Length).DefaultIfEmpty(0).Max()) + order.Sampling.MaxNewTokens + 1);

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
