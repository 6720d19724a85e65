namespace GenCluster.Decoding.Json;

/// <summary>One grammar symbol: a character class (terminal) or a reference to a rule (non-terminal).</summary>
internal readonly record struct Symbol(int Id, bool IsRule)
{
    /// <summary>A reference to rule <paramref name="id"/>.</summary>
    public static Symbol Rule(int id) => new(id, true);

    /// <summary>The terminal of character class <paramref name="id"/>.</summary>
    public static Symbol Chars(int id) => new(id, false);
}
