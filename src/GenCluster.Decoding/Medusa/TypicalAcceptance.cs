namespace GenCluster.Decoding.Medusa;

/// <summary>
/// Medusa's typical acceptance (Cai et al. 2024, section 2.3.1): a candidate x is plausible under the target
/// distribution p when p(x) &gt; min(epsilon, delta * exp(-H(p))), H the entropy of p; the threshold relaxes when the
/// target is uncertain (high entropy) and is at most epsilon.
/// </summary>
public static class TypicalAcceptance
{
    /// <summary>min(epsilon, delta * exp(-H(p))).</summary>
    public static double Threshold(ReadOnlySpan<double> p, double epsilon, double delta)
    {
        double entropy = 0;
        foreach (var x in p)
            if (x > 0) entropy -= x * Math.Log(x);
        return Math.Min(epsilon, delta * Math.Exp(-entropy));
    }

    /// <summary>Position of the first of <paramref name="candidates"/> that passes (the threshold computed once), or -1.</summary>
    public static int FirstAccepted(ReadOnlySpan<double> p, ReadOnlySpan<long> candidates, double epsilon, double delta)
    {
        double threshold = Threshold(p, epsilon, delta);
        for (int i = 0; i < candidates.Length; i++)
            if (p[(int)candidates[i]] > threshold) return i;
        return -1;
    }
}
