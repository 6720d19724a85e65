using GenCluster.Sampling;

namespace GenCluster.Decoding.Speculative;

/// <summary>
/// Prompt-lookup decoding (Saxena 2023; transformers' prompt_lookup_num_tokens): find the most recent earlier
/// occurrence of the context's last n-gram (n from <paramref name="maxNgram"/> down to 1) and propose the tokens that
/// followed it. No draft model: the proposal is deterministic, so for sampling q is one-hot.
/// </summary>
public sealed class PromptLookupProposer(int maxNgram = 3) : IDraftProposer
{
    readonly int _maxNgram = maxNgram >= 1 ? maxNgram : throw new ArgumentOutOfRangeException(nameof(maxNgram), $"prompt_lookup_ngram must be >= 1, got {maxNgram}");

    /// <summary>Always 0: no model runs.</summary>
    public int ForwardPasses => 0;

    /// <summary>The continuation of the latest earlier match of the longest matching suffix n-gram, or nothing.</summary>
    public DraftProposal Propose(IReadOnlyList<long> context, int count, SamplingParams sampling, PositionScorer scorer, ulong seed, long firstIndex)
    {
        var tokens = Lookup(context, count);
        return tokens.Length == 0 ? DraftProposal.None : new DraftProposal(tokens, new double[]?[tokens.Length]);
    }

    /// <summary>The proposed continuation (possibly empty).</summary>
    public long[] Lookup(IReadOnlyList<long> context, int count)
    {
        if (count <= 0) return [];
        for (int n = Math.Min(_maxNgram, context.Count - 1); n >= 1; n--)
            for (int start = context.Count - n - 1; start >= 0; start--)
            {
                if (!Matches(context, start, context.Count - n, n)) continue;
                int from = start + n, take = Math.Min(count, context.Count - from);
                return Enumerable.Range(from, take).Select(i => context[i]).ToArray();
            }
        return [];
    }

    static bool Matches(IReadOnlyList<long> context, int a, int b, int n)
    {
        for (int i = 0; i < n; i++)
            if (context[a + i] != context[b + i]) return false;
        return true;
    }

    /// <summary>Nothing to roll back.</summary>
    public void Accept(IReadOnlyList<long> context) { }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
