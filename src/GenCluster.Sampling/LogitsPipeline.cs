using GenCluster.Sampling.Processors;

namespace GenCluster.Sampling;

/// <summary>Builds the ordered processor chain for a <see cref="SamplingParams"/>, in the order transformers' generate() uses.</summary>
public static class LogitsPipeline
{
    /// <summary>
    /// The whole chain for one step. Order (transformers 4.42 _get_logits_processor, then _get_logits_warper):
    /// <list type="number">
    /// <item>logit bias: where transformers puts SequenceBiasLogitsProcessor (first) and vLLM applies logit_bias (before its penalties);</item>
    /// <item>repetition penalty;</item>
    /// <item>presence/frequency penalties: right after the repetition penalty, as vLLM's apply_penalties;</item>
    /// <item>no-repeat n-gram; min-new-tokens EOS suppression (only with EOS ids);</item>
    /// <item>only when sampling (DoSample and T &gt; 0): temperature, top-k, top-p, min-p, typical, epsilon, eta.</item>
    /// </list>
    /// Processors whose parameter is at its "off" value are left out.
    /// </summary>
    /// <param name="p">The parameters; validated here.</param>
    /// <param name="promptLength">How many leading columns of the input ids are prompt (for min-new-tokens and presence/frequency).</param>
    /// <param name="eosTokenIds">The ids min-new-tokens suppresses.</param>
    public static ILogitsProcessor Build(SamplingParams p, int promptLength, IReadOnlyList<long> eosTokenIds)
    {
        p.Validate();
        if (promptLength < 0) throw new ArgumentOutOfRangeException(nameof(promptLength), $"promptLength must be >= 0, got {promptLength}");
        var stages = new List<ILogitsProcessor>();
        if (p.LogitBias is { Count: > 0 }) stages.Add(new LogitBias(p.LogitBias));
        if (p.RepetitionPenalty != 1) stages.Add(new RepetitionPenalty(p.RepetitionPenalty));
        if (p.PresencePenalty != 0 || p.FrequencyPenalty != 0)
            stages.Add(new PresenceFrequencyPenalty(p.PresencePenalty, p.FrequencyPenalty, promptLength));
        if (p.NoRepeatNgramSize > 0) stages.Add(new NoRepeatNgram(p.NoRepeatNgramSize));
        if (p.MinNewTokens > 0 && eosTokenIds.Count > 0) stages.Add(new MinNewTokens(promptLength, p.MinNewTokens, eosTokenIds));
        if (!p.IsGreedy) stages.AddRange(Warpers(p));
        return new LogitsChain(stages);
    }

    /// <summary>The sampling-only stages (transformers' warpers), in _get_logits_warper's order.</summary>
    static IEnumerable<ILogitsProcessor> Warpers(SamplingParams p)
    {
        var keep = p.MinTokensToKeep;
        if (p.Temperature != 1) yield return new Temperature(p.Temperature);
        if (p.TopK != 0) yield return new TopK(p.TopK, keep);
        if (p.TopP < 1) yield return new TopP(p.TopP, keep);
        // transformers adds MinP whenever min_p is set; min_p = 0 removes nothing, so 0 stands for "not set".
        if (p.MinP > 0) yield return new MinP(p.MinP, keep);
        if (p.TypicalP < 1) yield return new Typical(p.TypicalP, keep);
        if (p.EpsilonCutoff > 0) yield return new Epsilon(p.EpsilonCutoff, keep);
        if (p.EtaCutoff > 0) yield return new Eta(p.EtaCutoff, keep);
    }
}
