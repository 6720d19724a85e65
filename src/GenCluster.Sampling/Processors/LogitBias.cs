using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>OpenAI logit bias: s'_j = s_j + bias_j for the listed token ids (a bias of -100 effectively bans a token, +100 forces it).</summary>
public sealed class LogitBias : ILogitsProcessor
{
    readonly long[] ids;
    readonly float[] biases;

    /// <summary>Creates the processor from token id to bias.</summary>
    public LogitBias(IReadOnlyDictionary<long, double> bias)
    {
        ids = bias.Keys.ToArray();
        biases = ids.Select(id => (float)bias[id]).ToArray();
    }

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores)
    {
        CheckVocabulary(scores.shape[^1]);
        using var scope = NewDisposeScope();
        var index = tensor(ids, device: scores.device);
        var values = tensor(biases, device: scores.device).to(scores.dtype).expand(scores.shape[0], ids.Length);
        return scores.index_add(1, index, values, 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores)
    {
        CheckVocabulary(scores.Length);
        for (int i = 0; i < ids.Length; i++) scores[(int)ids[i]] += biases[i];
    }

    void CheckVocabulary(long vocab)
    {
        var outside = ids.Where(id => id >= vocab).ToArray();
        if (outside.Length > 0)
            throw new ArgumentOutOfRangeException("scores", $"logit_bias names token ids outside the vocabulary of {vocab}: {string.Join(", ", outside)}");
    }
}
