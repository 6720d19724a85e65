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

    /// <summary>Whether the candidate passes.</summary>
    public static bool Accepts(ReadOnlySpan<double> p, long candidate, double epsilon, double delta) =>
        p[(int)candidate] > Threshold(p, epsilon, delta);
}
