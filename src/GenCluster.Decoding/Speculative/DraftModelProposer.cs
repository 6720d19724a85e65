using GenCluster.Models.Runtime;
using GenCluster.Sampling;
using GenCluster.Sampling.Samplers;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Speculative;

/// <summary>
/// Proposals from a small draft model with its own KV cache: K forward steps, each drawing one token from the
/// draft's distribution after the target's logits processors (argmax when greedy). The cache keeps every token it
/// has seen; after verification it is truncated to the common prefix with the verified context, so accepted tokens
/// are never recomputed (only tokens the draft has not seen yet, at most the last proposal and the target's token).
/// </summary>
public sealed class DraftModelProposer : IDraftProposer
{
    readonly ICausalLM _draft;
    readonly KvCache _cache;
    readonly List<long> _cached = []; // the tokens whose keys/values the cache holds, in slot order

    /// <summary>Wraps a draft model; its vocabulary must be the target's (see <see cref="VocabularyCompatibility"/>).</summary>
    public DraftModelProposer(ICausalLM draft, int capacity = 0)
    {
        _draft = draft;
        _cache = draft.CreateCache(1, capacity);
    }

    /// <summary>Draft forward passes so far.</summary>
    public int ForwardPasses { get; private set; }

    /// <summary>Runs the draft <paramref name="count"/> times, feeding each proposal back in.</summary>
    public DraftProposal Propose(IReadOnlyList<long> context, int count, SamplingParams sampling, PositionScorer scorer, ulong seed, long firstIndex)
    {
        if (count <= 0) return DraftProposal.None;
        var tokens = new List<long>(count);
        var distributions = new List<double[]?>(count);
        var pending = context.Skip(_cached.Count).ToList();
        for (int i = 0; i < count; i++)
        {
            using var scope = NewDisposeScope();
            if (pending.Count == 0) throw new InvalidOperationException("the draft cache already holds the whole context; call Accept with the verified context first");
            using var result = _draft.Forward(ForwardRequest.Single(pending), _cache);
            ForwardPasses++;
            _cached.AddRange(pending);
            var scores = scorer.Process(context, tokens, result.Logits[0, 0]);
            long token;
            if (sampling.IsGreedy)
            {
                token = PositionScorer.ArgMax(scores);
                distributions.Add(null);
            }
            else
            {
                var q = CategoricalDraw.Probabilities(scores);
                token = CategoricalDraw.Pick(q, SeededUniform.Next(seed, firstIndex + i, SpeculativeStreams.Draft));
                distributions.Add(q);
            }
            tokens.Add(token);
            pending = [token];
        }
        return new DraftProposal(tokens, distributions);
    }

    /// <summary>Truncates the draft cache to the longest prefix it shares with the verified context.</summary>
    public void Accept(IReadOnlyList<long> context)
    {
        int keep = 0;
        while (keep < _cached.Count && keep < context.Count && _cached[keep] == context[keep]) keep++;
        // Keep at least one token unseen, so the next proposal has logits to start from.
        if (keep == context.Count) keep--;
        _cached.RemoveRange(keep, _cached.Count - keep);
        _cache.Truncate(keep);
    }

    /// <summary>Releases the draft's cache (the model belongs to the caller).</summary>
    public void Dispose() => _cache.Dispose();
}
