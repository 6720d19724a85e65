using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling;

/// <summary>An ordered list of logits processors applied one after the other (transformers' LogitsProcessorList).</summary>
public sealed class LogitsChain(IReadOnlyList<ILogitsProcessor> stages) : ILogitsProcessor
{
    /// <summary>The stages in the order they run.</summary>
    public IReadOnlyList<ILogitsProcessor> Stages { get; } = stages;

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores)
    {
        if (Stages.Count == 0) return scores.clone();
        using var scope = NewDisposeScope();
        var current = scores;
        foreach (var stage in Stages)
            current = stage.Process(inputIds, current);
        return current.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores)
    {
        for (int i = 0; i < Stages.Count; i++) Stages[i].ProcessRow(inputIds, scores);
    }
}
