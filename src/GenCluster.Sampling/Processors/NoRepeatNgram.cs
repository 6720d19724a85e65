using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>
/// No-repeat n-gram ban (Paulus et al. 2017; transformers' NoRepeatNGramLogitsProcessor): with the last n-1 tokens as
/// prefix, every token that followed that prefix earlier in the sequence (prompt included) gets -inf, so no n-gram
/// occurs twice. Inactive until the sequence has n-1 tokens.
/// </summary>
public sealed class NoRepeatNgram(int size) : ILogitsProcessor
{
    /// <summary>The n of the banned n-grams (&gt;= 1; 1 bans every token already present).</summary>
    public int Size { get; } = size;

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores)
    {
        var (batch, length) = ((int)inputIds.shape[0], (int)inputIds.shape[1]);
        if (length + 1 < Size) return scores.clone();
        using var scope = NewDisposeScope();
        var ids = inputIds.to(int64).cpu().contiguous().data<long>().ToArray();
        var vocab = scores.shape[^1];
        var banned = new List<long>();
        for (var row = 0; row < batch; row++)
            foreach (var token in BannedTokens(ids.AsSpan(row * length, length)))
                banned.Add(row * vocab + token);
        if (banned.Count == 0) return scores.clone().MoveToOuterDisposeScope();
        var flat = scores.reshape(-1).index_fill(0, tensor(banned.ToArray(), device: scores.device), float.NegativeInfinity);
        return flat.view(scores.shape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores)
    {
        if (inputIds.Length + 1 < Size) return;
        foreach (var token in BannedTokens(inputIds))
            scores[RowTokens.Index(token, scores.Length)] = float.NegativeInfinity;
    }

    /// <summary>Tokens that would complete an n-gram already present in <paramref name="tokens"/>.</summary>
    IEnumerable<long> BannedTokens(ReadOnlySpan<long> tokens)
    {
        var prefixLength = Size - 1;
        var prefix = tokens[^prefixLength..];
        var found = new HashSet<long>();
        for (var start = 0; start + Size <= tokens.Length; start++)
            if (tokens.Slice(start, prefixLength).SequenceEqual(prefix))
                found.Add(tokens[start + prefixLength]);
        return found;
    }
}
