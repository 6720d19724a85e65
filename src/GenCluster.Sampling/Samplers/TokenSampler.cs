using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Samplers;

/// <summary>
/// Chooses the next token of every row from processed scores: argmax (greedy) or a multinomial draw whose uniform is
/// <see cref="SeededUniform.Next"/>(seed, step), inverted over the float64 CDF of softmax(processed) in vocabulary order.
/// </summary>
public static class TokenSampler
{
    /// <summary>Greedy when <paramref name="p"/> says so (<see cref="SamplingParams.IsGreedy"/>), else a seeded draw.</summary>
    public static TokenChoice[] Choose(SamplingParams p, Tensor rawLogits, Tensor processedScores, ReadOnlySpan<ulong> seeds, ReadOnlySpan<long> steps, int topLogprobs = 0) =>
        p.IsGreedy ? Greedy(rawLogits, processedScores, topLogprobs) : Sample(rawLogits, processedScores, seeds, steps, topLogprobs);

    /// <summary>argmax of each processed row (the first index on ties, as torch.argmax documents).</summary>
    /// <remarks>
    /// CPU float32 rows are scanned in place (<see cref="ScoreRows"/>); other tensors go through torch on the row. Either
    /// way a decode step copies no vocabulary-sized array to managed memory.
    /// </remarks>
    public static TokenChoice[] Greedy(Tensor rawLogits, Tensor processedScores, int topLogprobs = 0)
    {
        CheckShapes(rawLogits, processedScores);
        if (ScoreRows.Readable(rawLogits) && ScoreRows.Readable(processedScores))
            return ChooseInPlace(rawLogits, processedScores, topLogprobs, static (processed, _) => ScoreRows.ArgMax(processed));
        return Choose(rawLogits, processedScores, topLogprobs, processed => processed.argmax(-1).data<long>().ToArray());
    }

    /// <summary>One multinomial draw per row from softmax(processed); row r uses the uniform of (seeds[r], steps[r], stream 0).</summary>
    /// <remarks>CPU float32 rows are read in place, as in <see cref="Greedy"/>; the draw is the same function of the same floats either way.</remarks>
    public static TokenChoice[] Sample(Tensor rawLogits, Tensor processedScores, ReadOnlySpan<ulong> seeds, ReadOnlySpan<long> steps, int topLogprobs = 0)
    {
        var batch = (int)processedScores.shape[0];
        if (seeds.Length != batch || steps.Length != batch)
            throw new ArgumentException($"need one seed and one step per row: batch {batch}, got {seeds.Length} seeds and {steps.Length} steps");
        var u = new double[batch];
        for (var r = 0; r < batch; r++) u[r] = SeededUniform.Next(seeds[r], steps[r]);
        CheckShapes(rawLogits, processedScores);
        if (ScoreRows.Readable(rawLogits) && ScoreRows.Readable(processedScores))
            return ChooseInPlace(rawLogits, processedScores, topLogprobs, (processed, r) => CategoricalDraw.PickFromScores(processed, u[r]));
        return Choose(rawLogits, processedScores, topLogprobs, processedCpu =>
        {
            var vocab = (int)processedCpu.shape[1];
            var processed = processedCpu.data<float>().ToArray();
            var chosen = new long[batch];
            // Rows are independent and each depends only on its own scores and uniform, so the parallel loop is deterministic.
            Parallel.For(0, batch, r => chosen[r] = CategoricalDraw.PickFromScores(processed.AsSpan(r * vocab, vocab), u[r]));
            return chosen;
        });
    }

    delegate int RowChoice(ReadOnlySpan<float> processed, int row);

    /// <summary>Chooses from <see cref="ScoreRows.Readable"/> tensors in place: no vocabulary-sized copy, no torch op unless top log-probabilities are asked for.</summary>
    static TokenChoice[] ChooseInPlace(Tensor rawLogits, Tensor processedScores, int topLogprobs, RowChoice choose)
    {
        var (batch, vocab) = ((int)processedScores.shape[0], (int)processedScores.shape[1]);
        // Without processors the session passes the raw logits as the processed scores: one log-sum-exp serves both.
        bool same = ScoreRows.SameMemory(rawLogits, processedScores);
        var rawLse = new float[batch];
        var result = new TokenChoice[batch];
        for (int r = 0; r < batch; r++)
        {
            var processed = ScoreRows.Row(processedScores, r);
            var raw = ScoreRows.Row(rawLogits, r);
            int chosen = choose(processed, r);
            float processedLse = ScoreRows.LogSumExp(processed);
            rawLse[r] = same ? processedLse : ScoreRows.LogSumExp(raw);
            result[r] = new TokenChoice(chosen, processed[chosen] - processedLse, raw[chosen] - rawLse[r], []);
        }
        if (topLogprobs <= 0) return result;
        using var scope = NewDisposeScope();
        var top = TopLogprobs(rawLogits.detach(), rawLse, Math.Min(topLogprobs, vocab));
        return result.Select((c, r) => c with { TopLogprobs = top[r] }).ToArray();
    }

    static TokenChoice[] Choose(Tensor rawLogits, Tensor processedScores, int topLogprobs, Func<Tensor, long[]> choose)
    {
        CheckShapes(rawLogits, processedScores);
        using var scope = NewDisposeScope();
        var (batch, vocab) = ((int)processedScores.shape[0], (int)processedScores.shape[1]);
        var processedCpu = processedScores.detach().to(float32).cpu().contiguous();
        var processedLse = processedCpu.logsumexp(-1).data<float>().ToArray();
        var raw = rawLogits.detach().to(float32).cpu();
        var rawLse = raw.logsumexp(-1).data<float>().ToArray();
        var chosen = choose(processedCpu);
        var index = tensor(chosen).unsqueeze(1);
        var rawChosen = raw.gather(1, index).data<float>().ToArray();
        var processedChosen = processedCpu.gather(1, index).data<float>().ToArray();
        var top = TopLogprobs(raw, rawLse, Math.Min(topLogprobs, vocab));
        var result = new TokenChoice[batch];
        for (var r = 0; r < batch; r++)
            result[r] = new TokenChoice(chosen[r], processedChosen[r] - processedLse[r], rawChosen[r] - rawLse[r], top[r]);
        return result;
    }

    static void CheckShapes(Tensor rawLogits, Tensor processedScores)
    {
        if (rawLogits.ndim != 2 || !rawLogits.shape.SequenceEqual(processedScores.shape))
            throw new ArgumentException($"raw logits and processed scores must both be [batch, vocab], got [{string.Join(", ", rawLogits.shape)}] and [{string.Join(", ", processedScores.shape)}]");
    }

    static TokenLogprob[][] TopLogprobs(Tensor raw, float[] lse, int n)
    {
        var batch = (int)raw.shape[0];
        if (n <= 0) return Enumerable.Range(0, batch).Select(_ => Array.Empty<TokenLogprob>()).ToArray();
        var (values, indices) = raw.topk(n);
        var v = values.data<float>().ToArray();
        var ix = indices.data<long>().ToArray();
        return Enumerable.Range(0, batch)
            .Select(r => Enumerable.Range(r * n, n).Select(i => new TokenLogprob(ix[i], v[i] - lse[r])).ToArray())
            .ToArray();
    }
}
