namespace GenCluster.Sampling;

/// <summary>
/// The CLI's <c>--method</c> choice mapped onto <see cref="SamplingParams"/>: each method turns sampling on and, if its
/// own parameter was left off, sets the usual value. Other flags set on the params still combine freely, as in transformers.
/// </summary>
public static class SamplingMethods
{
    /// <summary>The method names, as accepted by <see cref="Apply"/> (kebab-case spellings are accepted too).</summary>
    public static IReadOnlyList<string> Names { get; } = ["unconstrained", "greedy", "top_k", "top_p", "min_p", "typical", "epsilon", "eta"];

    /// <summary>Values used when the method's own parameter is off: transformers' generate() default top_k 50,
    /// and the values transformers' docs suggest for the others (Hewitt et al. 2022 for epsilon/eta).</summary>
    public const int DefaultTopK = 50;
    /// <summary>Nucleus mass used by "top_p" when --top_p is not given.</summary>
    public const double DefaultTopP = 0.9;
    /// <summary>Min-p fraction used by "min_p" when --min_p is not given (Nguyen et al. 2024 recommend 0.05-0.1).</summary>
    public const double DefaultMinP = 0.1;
    /// <summary>Typical mass used by "typical" when --typical_p_mass is not given.</summary>
    public const double DefaultTypicalP = 0.9;
    /// <summary>Cutoff used by "epsilon" and "eta" when --epsilon is not given.</summary>
    public const double DefaultCutoff = 3e-4;

    /// <summary>
    /// Returns <paramref name="p"/> with <paramref name="method"/> applied. <paramref name="epsilon"/> is the CLI's
    /// <c>--epsilon</c>: the cutoff of the "eta" method when that is chosen, of epsilon sampling otherwise.
    /// Throws <see cref="SamplingParamsException"/> for an unknown method or invalid resulting params.
    /// </summary>
    public static SamplingParams Apply(string method, SamplingParams p, double? epsilon = null)
    {
        var name = method.Trim().ToLowerInvariant().Replace('-', '_');
        if (epsilon is { } cut)
            p = name == "eta" ? p with { EtaCutoff = cut } : p with { EpsilonCutoff = cut };
        var result = name switch
        {
            "greedy" => p with { DoSample = false },
            "unconstrained" => p with { DoSample = true },
            "top_k" => p with { DoSample = true, TopK = p.TopK == 0 ? DefaultTopK : p.TopK },
            "top_p" => p with { DoSample = true, TopP = p.TopP == 1 ? DefaultTopP : p.TopP },
            "min_p" => p with { DoSample = true, MinP = p.MinP == 0 ? DefaultMinP : p.MinP },
            "typical" => p with { DoSample = true, TypicalP = p.TypicalP == 1 ? DefaultTypicalP : p.TypicalP },
            "epsilon" => p with { DoSample = true, EpsilonCutoff = p.EpsilonCutoff == 0 ? DefaultCutoff : p.EpsilonCutoff },
            "eta" => p with { DoSample = true, EtaCutoff = p.EtaCutoff == 0 ? DefaultCutoff : p.EtaCutoff },
            _ => throw new SamplingParamsException("method", method, "one of " + string.Join(", ", Names)),
        };
        return result.Validate();
    }
}
