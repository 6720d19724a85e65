using System.Runtime.InteropServices;
using GenCluster.Sampling;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Speculative;

/// <summary>
/// Applies a sequence's logits processors to the logits of one position, with the input ids that position sees
/// (context plus the proposed tokens before it), so verified tokens face exactly the distribution the plain loop
/// would have used there.
/// </summary>
public sealed class PositionScorer(ILogitsProcessor pipeline)
{
    // Greedy decoding without penalties has no stage at all: its processed scores are the raw logits, and a round
    // that scores a dozen positions should not build a dozen input-id tensors to learn that.
    readonly bool _identity = pipeline is LogitsChain { Stages.Count: 0 };

    /// <summary>Processed scores (float32, on the CPU) of <paramref name="logits"/> [V] after <paramref name="context"/> + <paramref name="extra"/>.</summary>
    public float[] Process(IReadOnlyList<long> context, IReadOnlyList<long> extra, Tensor logits)
    {
        if (_identity) return Floats(logits);
        using var scope = NewDisposeScope();
        var ids = new long[context.Count + extra.Count];
        for (int i = 0; i < context.Count; i++) ids[i] = context[i];
        for (int i = 0; i < extra.Count; i++) ids[context.Count + i] = extra[i];
        var inputIds = tensor(ids, new long[] { 1, ids.Length });
        var row = logits.detach().to(ScalarType.Float32).cpu().reshape(1, -1).clone();
        return Floats(pipeline.Process(inputIds, row));
    }

    /// <summary>
    /// The values of a tensor as a managed float32 array, in one block copy of its memory (TorchSharp's element
    /// accessor copies a vocabulary-sized row value by value, hundreds of microseconds).
    /// </summary>
    public static float[] Floats(Tensor values)
    {
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

    /// <summary>Raw log-probability log_softmax(logits[r])[tokens[r]] of each row of [rows, V] and its token.</summary>
    public static float[] RawLogprobs(Tensor logits, IReadOnlyList<long> tokens)
    {
        using var scope = NewDisposeScope();
        var lp = logits.detach().to(ScalarType.Float32).cpu().log_softmax(-1).contiguous();
        int rows = (int)lp.shape[0], vocab = (int)lp.shape[1];
        if (tokens.Count != rows) throw new ArgumentException($"need one token per logits row: {rows} rows, {tokens.Count} tokens");
        var values = MemoryMarshal.Cast<byte, float>(lp.bytes);
        var result = new float[rows];
        for (int r = 0; r < rows; r++) result[r] = values[r * vocab + (int)tokens[r]];
        return result;
    }
}
