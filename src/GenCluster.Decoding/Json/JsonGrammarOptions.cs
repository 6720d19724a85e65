namespace GenCluster.Decoding.Json;

/// <summary>
/// Bounds that keep every JSON token finite, so a sampler under the mask cannot loop forever on whitespace or digits.
/// Whitespace between structural tokens is at most one of: nothing, one space, or a newline followed by up to
/// <see cref="MaxIndent"/> spaces/tabs (the llama.cpp JSON grammar's rule). No whitespace before or after the top-level value.
/// </summary>
public sealed record JsonGrammarOptions
{
    /// <summary>Most spaces/tabs after a newline between structural tokens (enough for pretty-printed JSON 10 levels deep).</summary>
    public int MaxIndent { get; init; } = 20;

    /// <summary>Most digits of an integer, and of a number's integer part (15 keeps integers exact in a double).</summary>
    public int MaxIntegerDigits { get; init; } = 15;

    /// <summary>Most digits after a number's decimal point.</summary>
    public int MaxFractionDigits { get; init; } = 15;

    /// <summary>Most digits of a number's exponent (2 keeps values within double range).</summary>
    public int MaxExponentDigits { get; init; } = 2;

    /// <summary>The defaults.</summary>
    public static JsonGrammarOptions Default { get; } = new();
}
