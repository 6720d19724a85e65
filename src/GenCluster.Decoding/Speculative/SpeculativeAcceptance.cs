using GenCluster.Sampling.Samplers;

namespace GenCluster.Decoding.Speculative;

/// <summary>Which uniform stream of <see cref="SeededUniform"/> a speculative draw uses at a token index.</summary>
public static class SpeculativeStreams
{
    /// <summary>A token sampled from the target (the bonus token, or any plain step): the plain loop's stream.</summary>
    public const uint Target = 0;
    /// <summary>The accept test u &lt; p(x)/q(x) of a proposed token.</summary>
    public const uint Accept = 1;
    /// <summary>The draw from the residual normalize(max(0, p - q)) after a rejection.</summary>
    public const uint Residual = 2;
    /// <summary>The draft model's own draw of a proposal.</summary>
    public const uint Draft = 3;
}

/// <summary>The outcome of verifying a proposal: how many proposed tokens were kept, and the target's next token.</summary>
public readonly record struct Verdict(int Accepted, long Next);

/// <summary>
/// The acceptance rule of speculative sampling (Leviathan et al. 2023, Chen et al. 2023): proposal x_i drawn from q_i
/// is kept with probability min(1, p_i(x_i) / q_i(x_i)); at the first rejection the next token is drawn from
/// normalize(max(0, p_i - q_i)); when all K are kept a bonus token is drawn from p_K. The emitted tokens then follow
/// p exactly. Greedy verification keeps proposals while they equal argmax p_i and then emits argmax p_i.
/// </summary>
public static class SpeculativeAcceptance
{
    /// <summary>Greedy: <paramref name="targetScores"/> has K + 1 rows of processed scores for K proposals.</summary>
    public static Verdict Greedy(IReadOnlyList<long> proposed, IReadOnlyList<float[]> targetScores)
    {
        CheckShapes(proposed.Count, targetScores.Count);
        for (int i = 0; i < proposed.Count; i++)
        {
            long best = PositionScorer.ArgMax(targetScores[i]);
            if (best != proposed[i]) return new Verdict(i, best);
        }
        return new Verdict(proposed.Count, PositionScorer.ArgMax(targetScores[^1]));
    }

    /// <summary>
    /// Sampling: <paramref name="draft"/>[i] is q_i (null for a deterministic proposal, q = one-hot at x_i);
    /// <paramref name="target"/> has K + 1 rows p_i. Proposal i is generated token number firstIndex + i, whose
    /// uniforms come from (seed, firstIndex + i, stream).
    /// </summary>
    public static Verdict Sample(IReadOnlyList<long> proposed, IReadOnlyList<double[]?> draft, IReadOnlyList<double[]> target, ulong seed, long firstIndex)
    {
        CheckShapes(proposed.Count, target.Count);
        for (int i = 0; i < proposed.Count; i++)
        {
            var p = target[i];
            var q = draft[i];
            int x = (int)proposed[i];
            double qx = q is null ? 1 : q[x];
            double u = SeededUniform.Next(seed, firstIndex + i, SpeculativeStreams.Accept);
            if (qx > 0 && u * qx < p[x]) continue; // u < p/q without dividing; p >= q always accepts
            var residual = new double[p.Length];
            bool mass = false;
            for (int v = 0; v < p.Length; v++)
                mass |= (residual[v] = Math.Max(0, p[v] - (q is null ? (v == x ? 1 : 0) : q[v]))) > 0;
            // p == q on the support leaves no residual mass; then rejection had probability 0 up to rounding: keep p.
            var weights = mass ? residual : p;
            return new Verdict(i, CategoricalDraw.Pick(weights, SeededUniform.Next(seed, firstIndex + i, SpeculativeStreams.Residual)));
        }
        return new Verdict(proposed.Count, CategoricalDraw.Pick(target[^1], SeededUniform.Next(seed, firstIndex + proposed.Count, SpeculativeStreams.Target)));
    }

    static void CheckShapes(int proposals, int targetRows)
    {
        if (targetRows != proposals + 1)
            throw new ArgumentException($"verifying {proposals} proposals needs {proposals + 1} target distributions, got {targetRows}");
    }
}
