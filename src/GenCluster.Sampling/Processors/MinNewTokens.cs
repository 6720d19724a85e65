using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>
/// EOS suppression until enough tokens are generated (transformers' MinNewTokensLengthLogitsProcessor): while
/// seq_len - prompt_length &lt; min_new_tokens, every EOS id gets -inf.
/// </summary>
public sealed class MinNewTokens(int promptLength, int minNewTokens, IReadOnlyList<long> eosTokenIds) : ILogitsProcessor
{
    readonly long[] eos = eosTokenIds.ToArray();

    /// <summary>How many leading columns of the input ids are prompt.</summary>
    public int PromptLength { get; } = promptLength;

    /// <summary>EOS stays banned until this many tokens were generated.</summary>
    public int MinTokens { get; } = minNewTokens;

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores)
    {
        if (inputIds.shape[1] - PromptLength >= MinTokens) return scores.clone();
        using var scope = NewDisposeScope();
        // Ids outside the vocabulary cannot be emitted, so there is nothing to ban for them (as transformers' isin mask).
        var inVocab = eos.Where(id => id >= 0 && id < scores.shape[^1]).ToArray();
        var index = tensor(inVocab, device: scores.device);
        return scores.index_fill(1, index, float.NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores)
    {
        if (inputIds.Length - PromptLength >= MinTokens) return;
        foreach (var id in eos)
            if (id >= 0 && id < scores.Length) scores[(int)id] = float.NegativeInfinity;
    }
}
