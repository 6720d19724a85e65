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
    /// <summary>Processed scores (float32, on the CPU) of <paramref name="logits"/> [V] after <paramref name="context"/> + <paramref name="extra"/>.</summary>
    public float[] Process(IReadOnlyList<long> context, IReadOnlyList<long> extra, Tensor logits)
    {
        using var scope = NewDisposeScope();
        var ids = context.Concat(extra).ToArray();
        var inputIds = tensor(ids, new long[] { 1, ids.Length });
        var row = logits.detach().to(ScalarType.Float32).cpu().reshape(1, -1).clone();
        return pipeline.Process(inputIds, row).contiguous().data<float>().ToArray();
    }

    /// <summary>Index of the largest score, the first on ties (as torch.argmax and the plain greedy loop).</summary>
    public static int ArgMax(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
            if (scores[i] > scores[best]) best = i;
        return best;
    }

    /// <summary>Raw log-probabilities log_softmax(logits) of each row of [rows, V], on the CPU.</summary>
    public static float[][] RawLogprobs(Tensor logits)
    {
        using var scope = NewDisposeScope();
        var lp = logits.detach().to(ScalarType.Float32).cpu().log_softmax(-1).contiguous();
        int rows = (int)lp.shape[0], vocab = (int)lp.shape[1];
        var flat = lp.data<float>().ToArray();
        return Enumerable.Range(0, rows).Select(r => flat.AsSpan(r * vocab, vocab).ToArray()).ToArray();
    }
}
