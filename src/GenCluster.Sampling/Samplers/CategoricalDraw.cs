namespace GenCluster.Sampling.Samplers;

/// <summary>
/// Draws from a categorical distribution by inverse CDF in float64, in vocabulary order, so that a uniform u and a row
/// of scores determine the token on any machine (the exponentials and their sum are computed in one fixed order by
/// this code, <see cref="ScoreRows.ExpShifted"/>; no dependence on libtorch's or the C library's kernels or threads).
/// </summary>
public static class CategoricalDraw
{
    /// <summary>softmax(scores) in float64: w_i = exp(s_i - max s), divided by their sum. -inf gives 0.</summary>
    public static double[] Probabilities(ReadOnlySpan<float> scores)
    {
        var p = new double[scores.Length];
        var sum = Weights(scores, p);
        for (var i = 0; i < p.Length; i++) p[i] /= sum;
        return p;
    }

    /// <summary>The first index whose cumulative weight exceeds u * total; weights need not be normalised (they must be &gt;= 0).</summary>
    public static int Pick(ReadOnlySpan<double> weights, double u)
    {
        var total = 0.0;
        foreach (var w in weights) total += w;
        return Pick(weights, total, u);
    }

    /// <summary><see cref="Pick(ReadOnlySpan{double}, double)"/> with the weights' total already known.</summary>
    static int Pick(ReadOnlySpan<double> weights, double total, double u)
    {
        CheckSum(total);
        var target = u * total;
        var cumulative = 0.0;
        var lastPositive = -1;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0) continue;
            cumulative += weights[i];
            lastPositive = i;
            if (cumulative > target) return i;
        }
        return lastPositive; // u * total rounded up to the total: the last token with mass
    }

    /// <summary>Draws from softmax(scores): Pick over the float64 weights exp(s_i - max s).</summary>
    public static int PickFromScores(ReadOnlySpan<float> scores, double u)
    {
        using var buffer = new PooledRow<double>(scores.Length);
        return Pick(buffer.Span, Weights(scores, buffer.Span), u);
    }

    /// <summary>Fills exp(s_i - max s) and returns their sum.</summary>
    static double Weights(ReadOnlySpan<float> scores, Span<double> weights)
    {
        var max = ScoreRows.Max(scores);
        if (float.IsNegativeInfinity(max))
            throw new InvalidOperationException("cannot sample: every score is -inf (all tokens were filtered or banned)");
        var sum = ScoreRows.ExpShifted(scores, max, weights);
        CheckSum(sum);
        return sum;
    }

    static void CheckSum(double sum)
    {
        if (!(sum > 0) || !double.IsFinite(sum))
            throw new InvalidOperationException($"cannot sample: the weights sum to {sum} (NaN, infinite or no positive weight)");
    }
}
