namespace GenCluster.Decoding.Medusa;

/// <summary>How Medusa decides which tree candidates to keep.</summary>
public enum MedusaAcceptance
{
    /// <summary>
    /// Keep a candidate while it is the token the plain loop would choose there: the argmax (exactly plain greedy
    /// output) or, with sampling parameters, the seeded draw of that token index (exactly plain sampling's output).
    /// </summary>
    Greedy,
    /// <summary>The paper's typical acceptance: keep x when p(x) &gt; min(epsilon, delta * exp(-H(p))).</summary>
    Typical,
}

/// <summary>Settings of Medusa decoding: the candidate tree and the acceptance rule.</summary>
public sealed record MedusaOptions
{
    /// <summary>The candidate tree; null uses <see cref="MedusaTree.Default"/> for the target's device.</summary>
    public MedusaTree? Tree { get; init; }

    /// <summary>Greedy (exact) or typical acceptance; typical needs sampling parameters (with greedy ones it acts as greedy).</summary>
    public MedusaAcceptance Acceptance { get; init; } = MedusaAcceptance.Greedy;

    /// <summary>Typical acceptance's hard threshold epsilon (the paper's posterior_threshold, 0.09).</summary>
    public double Epsilon { get; init; } = 0.09;

    /// <summary>Typical acceptance's entropy-scaled threshold delta (the paper's posterior_alpha, sqrt(epsilon) = 0.3).</summary>
    public double Delta { get; init; } = 0.3;
}
