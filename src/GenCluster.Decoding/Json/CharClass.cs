namespace GenCluster.Decoding.Json;

/// <summary>A set of UTF-16 code units given as inclusive ranges, with a 128-bit table for the ASCII fast path.</summary>
internal sealed class CharClass
{
    readonly (char Lo, char Hi)[] _ranges;
    readonly ulong _ascii0, _ascii1;

    CharClass((char Lo, char Hi)[] ranges)
    {
        _ranges = ranges;
        foreach (var (lo, hi) in ranges)
            for (int c = lo; c <= Math.Min((int)hi, 127); c++)
                if (c < 64) _ascii0 |= 1UL << c; else _ascii1 |= 1UL << (c - 64);
    }

    /// <summary>The class of the given inclusive ranges.</summary>
    public static CharClass Of(params (char Lo, char Hi)[] ranges) => new(ranges);

    /// <summary>The class of exactly one character.</summary>
    public static CharClass Single(char c) => new([(c, c)]);

    /// <summary>The class of the characters of <paramref name="chars"/>.</summary>
    public static CharClass AnyOf(string chars) => new(chars.Select(c => (c, c)).ToArray());

    /// <summary>Every code unit except those of the given ranges (which must be sorted and disjoint).</summary>
    public static CharClass Except(params (char Lo, char Hi)[] excluded)
    {
        var ranges = new List<(char, char)>();
        int next = 0;
        foreach (var (lo, hi) in excluded)
        {
            if (lo > next) ranges.Add(((char)next, (char)(lo - 1)));
            next = hi + 1;
        }
        if (next <= char.MaxValue) ranges.Add(((char)next, char.MaxValue));
        return new(ranges.ToArray());
    }

    /// <summary>Whether <paramref name="c"/> belongs to the class.</summary>
    public bool Contains(char c)
    {
        if (c < 64) return (_ascii0 >> c & 1) != 0;
        if (c < 128) return (_ascii1 >> (c - 64) & 1) != 0;
        foreach (var (lo, hi) in _ranges)
            if (c >= lo && c <= hi) return true;
        return false;
    }
}
