using System.Buffers;
using System.Runtime.InteropServices;
using GenCluster.Sampling;
using GenCluster.Sampling.Samplers;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Speculative;

/// <summary>
/// Applies a sequence's logits processors to the logits of one position, with the input ids that position sees
/// (context plus the proposed tokens before it), so verified tokens face exactly the distribution the plain loop
/// would have used there. The scores end up as a managed float32 row either way, so the row is copied to the CPU
/// once and processed there in place by the processors' row form (<see cref="ILogitsProcessor.ProcessRow"/>): no torch
/// op per stage, which at a few microseconds of dispatch each cost more than the arithmetic on a small vocabulary.
/// </summary>
public sealed class PositionScorer(ILogitsProcessor pipeline)
{
    // Greedy decoding without penalties has no stage at all: its processed scores are the raw logits.
    readonly bool _identity = pipeline is LogitsChain { Stages.Count: 0 };

    /// <summary>Processed scores (float32, on the CPU) of <paramref name="logits"/> [V] after <paramref name="context"/> + <paramref name="extra"/>.</summary>
    public float[] Process(IReadOnlyList<long> context, IReadOnlyList<long> extra, Tensor logits)
    {
        var scores = Floats(logits);
        Score(context, extra, extra.Count, scores);
        return scores;
    }

    /// <summary>
    /// Processed scores of every row of <paramref name="logits"/> [rows, V] (a verifying forward's outputs): row i
    /// follows <paramref name="context"/> + the first i tokens of <paramref name="extra"/>. The rows are copied now
    /// and processed on first access, since acceptance stops reading at the first rejection.
    /// </summary>
    public IReadOnlyList<float[]> ProcessRows(IReadOnlyList<long> context, IReadOnlyList<long> extra, Tensor logits)
    {
        using var scope = NewDisposeScope();
        var rows = ScoreRows.Readable(logits) ? logits : logits.detach().to(ScalarType.Float32).cpu().contiguous();
        var copies = new float[rows.shape[0]][];
        for (int i = 0; i < copies.Length; i++) copies[i] = ScoreRows.Row(rows, i).ToArray();
        return new LazyRows<float[]>(copies.Length, i =>
        {
            Score(context, extra, i, copies[i]);
            return copies[i];
        });
    }

    /// <summary>Runs the processors' row form on <paramref name="scores"/> in place, with input ids context + extra[..extraCount].</summary>
    void Score(IReadOnlyList<long> context, IReadOnlyList<long> extra, int extraCount, float[] scores)
    {
        if (_identity) return;
        int length = context.Count + extraCount;
        var ids = ArrayPool<long>.Shared.Rent(length);
        try
        {
            for (int i = 0; i < context.Count; i++) ids[i] = context[i];
            for (int i = 0; i < extraCount; i++) ids[context.Count + i] = extra[i];
            pipeline.ProcessRow(ids.AsSpan(0, length), scores);
        }
        finally { ArrayPool<long>.Shared.Return(ids); }
    }

    /// <summary>
    /// The values of a tensor as a managed float32 array, in one block copy of its memory (TorchSharp's element
    /// accessor copies a vocabulary-sized row value by value, hundreds of microseconds).
    /// </summary>
    public static float[] Floats(Tensor values)
    {
        if (values.dtype == ScalarType.Float32 && values.device_type == DeviceType.CPU && values.is_contiguous())
            return MemoryMarshal.Cast<byte, float>(values.bytes).ToArray();
        using var scope = NewDisposeScope();
        var contiguous = values.detach().to(ScalarType.Float32).cpu().contiguous();
        return MemoryMarshal.Cast<byte, float>(contiguous.bytes).ToArray();
    }

    /// <summary>Index of the largest score, the first on ties (as torch.argmax and the plain greedy loop).</summary>
    public static int ArgMax(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
            if (scores[i] > scores[best]) best = i;
        return best;
    }

    /// <summary>
    /// Raw log-probability log_softmax(logits[r])[tokens[r]] of each row of [rows, V] and its token, computed on the
    /// CPU rows in place (<see cref="ScoreRows.LogSumExp"/>, as the plain loop's sampler computes its log-probabilities).
    /// </summary>
    public static float[] RawLogprobs(Tensor logits, IReadOnlyList<long> tokens)
    {
        using var scope = NewDisposeScope();
        var rows = ScoreRows.Readable(logits) ? logits : logits.detach().to(ScalarType.Float32).cpu().contiguous();
        if (tokens.Count != rows.shape[0]) throw new ArgumentException($"need one token per logits row: {rows.shape[0]} rows, {tokens.Count} tokens");
        var result = new float[tokens.Count];
        for (int r = 0; r < result.Length; r++)
        {
            var row = ScoreRows.Row(rows, r);
            result[r] = row[(int)tokens[r]] - ScoreRows.LogSumExp(row);
        }
        return result;
    }
}
