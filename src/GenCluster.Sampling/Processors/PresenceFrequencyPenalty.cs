using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>
/// OpenAI presence and frequency penalties (as in the OpenAI API and vLLM): s'_j = s_j - frequency * c_j - presence * [c_j &gt; 0],
/// c_j the number of times token j occurs among the generated tokens (columns &gt;= promptLength); the prompt is not counted.
/// </summary>
public sealed class PresenceFrequencyPenalty(double presence, double frequency, int promptLength) : ILogitsProcessor
{
    /// <summary>Subtracted once from every token generated at least once.</summary>
    public double Presence { get; } = presence;

    /// <summary>Subtracted once per occurrence of a generated token.</summary>
    public double Frequency { get; } = frequency;

    /// <summary>How many leading columns of the input ids are prompt.</summary>
    public int PromptLength { get; } = promptLength;

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores)
    {
        var generatedLength = inputIds.shape[1] - PromptLength;
        if (generatedLength <= 0) return scores.clone();
        using var scope = NewDisposeScope();
        var generated = inputIds.narrow(1, PromptLength, generatedLength).to(scores.device);
        var counts = zeros_like(scores).scatter_add_(1, generated, ones(generated.shape, dtype: scores.dtype, device: scores.device));
        var penalty = counts.mul(Frequency).add_(counts.gt(0).to(scores.dtype).mul_(Presence));
        return scores.sub(penalty).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores)
    {
        if (inputIds.Length <= PromptLength) return;
        var generated = inputIds[PromptLength..];
        using var buffer = new PooledRow<int>(scores.Length);
        var counts = buffer.Span; // only the generated tokens' entries are used, so only they are cleared
        foreach (var id in generated) counts[RowTokens.Index(id, scores.Length)] = 0;
        foreach (var id in generated) counts[(int)id]++;
        float frequency = (float)Frequency, presence = (float)Presence;
        foreach (var id in generated)
        {
            int j = (int)id;
            if (counts[j] == 0) continue; // already penalised
            scores[j] -= counts[j] * frequency + presence; // float32 steps as the torch form: c * f, + 1 * presence, then subtracted
            counts[j] = 0;
        }
    }
}
