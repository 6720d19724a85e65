namespace GenCluster.Sampling;

/// <summary>A sampling parameter is outside its allowed range; the message names the field, the value and the range.</summary>
public sealed class SamplingParamsException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="field"/> (snake_case, as users spell it on the CLI and in requests).</summary>
    public SamplingParamsException(string field, object? value, string allowed)
        : base($"{field} must be {allowed}, got {Format(value)}", field)
    {
        Field = field;
        Value = value;
        Allowed = allowed;
    }

    /// <summary>The offending field, e.g. "top_p".</summary>
    public string Field { get; }

    /// <summary>The rejected value.</summary>
    public object? Value { get; }

    /// <summary>The allowed range in words, e.g. "in (0, 1]".</summary>
    public string Allowed { get; }

    // The base ArgumentException appends "(Parameter 'x')"; the short form reads better in a CLI.
    /// <inheritdoc />
    public override string Message => $"{Field} must be {Allowed}, got {Format(Value)}";

    static string Format(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        string s => $"\"{s}\"",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "?",
    };
}
