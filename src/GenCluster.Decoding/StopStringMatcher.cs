namespace GenCluster.Decoding;

/// <summary>
/// Finds stop strings in a sequence's streamed text. Text that could still be the start of a stop string is held
/// back, so a stop string is never emitted, even when it spans several tokens (as vLLM does).
/// </summary>
public sealed class StopStringMatcher(IReadOnlyList<string> stops)
{
    string _pending = "";

    /// <summary>True once a stop string was seen; later text is discarded.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds new text; returns what can be emitted now.</summary>
    public string Push(string text)
    {
        if (Stopped) return "";
        if (stops.Count == 0) return text;
        _pending += text;
        int first = -1;
        foreach (var stop in stops)
        {
            int at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        if (first >= 0)
        {
            Stopped = true;
            var emit = _pending[..first];
            _pending = "";
            return emit;
        }
        int hold = stops.Max(stop => LongestSuffixThatPrefixes(_pending, stop));
        var ready = _pending[..^hold];
        _pending = _pending[^hold..];
        return ready;
    }

    /// <summary>Releases held-back text at the end of the sequence.</summary>
    public string Flush()
    {
        var rest = Stopped ? "" : _pending;
        _pending = "";
        return rest;
    }

    static int LongestSuffixThatPrefixes(string text, string stop)
    {
        for (int n = Math.Min(text.Length, stop.Length - 1); n > 0; n--)
            if (string.CompareOrdinal(text, text.Length - n, stop, 0, n) == 0) return n;
        return 0;
    }
}
