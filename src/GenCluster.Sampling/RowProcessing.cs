using GenCluster.Sampling.Samplers;
using static TorchSharp.torch;

namespace GenCluster.Sampling;

/// <summary>
/// Chooses where a processor chain runs for a decode step: in place over each float32 row when the scores are a
/// contiguous CPU tensor (<see cref="ILogitsProcessor.ProcessRow"/>: no torch dispatch or thread wake-up per stage),
/// through the torch stages otherwise (GPU, other dtypes).
/// </summary>
public static class RowProcessing
{
    /// <summary>
    /// Processed copy of <paramref name="scores"/> [batch, vocab] (the input is not modified); row r's prompt and
    /// generated tokens are <paramref name="inputIds"/>[r * width .. (r + 1) * width), row-major [batch, width].
    /// </summary>
    public static Tensor Process(this ILogitsProcessor processor, long[] inputIds, int width, Tensor scores)
    {
        int batch = (int)scores.shape[0];
        if (scores.ndim != 2 || inputIds.Length != batch * width)
            throw new ArgumentException($"need [batch, vocab] scores and batch x {width} input ids: scores [{string.Join(", ", scores.shape)}], {inputIds.Length} ids");
        if (!ScoreRows.Readable(scores))
        {
            using var ids = tensor(inputIds, new long[] { batch, width }, device: scores.device);
            return processor.Process(ids, scores);
        }
        var processed = scores.clone();
        for (int r = 0; r < batch; r++)
            processor.ProcessRow(inputIds.AsSpan(r * width, width), ScoreRows.Row(processed, r));
        return processed;
    }
}
