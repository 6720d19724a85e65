namespace GenCluster.Decoding.Medusa;

/// <summary>How Medusa decides which tree candidates to keep.</summary>
public enum MedusaAcceptance
{
    /// <summary>Keep a candidate while it is the target's argmax: exactly the plain greedy output.</summary>
    Greedy,
    /// <summary>The paper's typical acceptance: keep x when p(x) &gt; min(epsilon, delta * exp(-H(p))).</summary>
    Typical,
}

/// <summary>Settings of Medusa decoding: the candidate tree and the acceptance rule.</summary>
public sealed record MedusaOptions
{
    /// <summary>The candidate tree; null uses <see cref="MedusaTree.Sparse"/> over every head.</summary>
    public MedusaTree? Tree { get; init; }

    /// <summary>Greedy (exact) or typical acceptance; typical needs sampling parameters (greedy ones fall back to greedy).</summary>
    public MedusaAcceptance Acceptance { get; init; } = MedusaAcceptance.Greedy;

    /// <summary>Typical acceptance's hard threshold epsilon (the paper's posterior_threshold, 0.09).</summary>
    public double Epsilon { get; init; } = 0.09;

    /// <summary>Typical acceptance's entropy-scaled threshold delta (the paper's posterior_alpha, sqrt(epsilon) = 0.3).</summary>
    public double Delta { get; init; } = 0.3;
}
