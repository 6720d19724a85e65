using System.Buffers;

namespace GenCluster.Sampling.Samplers;

/// <summary>
/// Draws from a categorical distribution by inverse CDF in float64, in vocabulary order, so that a uniform u and a row
/// of scores determine the token on any machine (no dependence on vectorised or multi-threaded reductions).
/// </summary>
public static class CategoricalDraw
{
    /// <summary>softmax(scores) in float64: w_i = exp(s_i - max s), divided by their sum taken in index order. -inf gives 0.</summary>
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
        var buffer = ArrayPool<double>.Shared.Rent(scores.Length);
        try
        {
            var weights = buffer.AsSpan(0, scores.Length);
            Weights(scores, weights);
            return Pick(weights, u);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buffer);
        }
    }

    /// <summary>Fills exp(s_i - max s) and returns their sum in index order.</summary>
    static double Weights(ReadOnlySpan<float> scores, Span<double> weights)
    {
        var max = double.NegativeInfinity;
        foreach (var s in scores)
            if (s > max) max = s;
        if (double.IsNegativeInfinity(max))
            throw new InvalidOperationException("cannot sample: every score is -inf (all tokens were filtered or banned)");
        var sum = 0.0;
        for (var i = 0; i < scores.Length; i++)
            sum += weights[i] = float.IsNegativeInfinity(scores[i]) ? 0 : Math.Exp(scores[i] - max);
        CheckSum(sum);
        return sum;
    }

    static void CheckSum(double sum)
    {
        if (!(sum > 0) || !double.IsFinite(sum))
            throw new InvalidOperationException($"cannot sample: the weights sum to {sum} (NaN, infinite or no positive weight)");
    }
}
