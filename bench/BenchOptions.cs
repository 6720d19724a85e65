/// <summary>A benchmark's command line: <c>--name value</c> options (an option given last, without a value, reads as "").</summary>
internal sealed class BenchOptions(string[] args)
{
    readonly Dictionary<string, string> _values = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--"))
        .ToDictionary(x => x.a[2..], x => x.i + 1 < args.Length ? args[x.i + 1] : "");

    /// <summary>The value of <c>--name</c>, or <paramref name="fallback"/> when it is not given.</summary>
    public string Get(string name, string fallback) => _values.TryGetValue(name, out var v) ? v : fallback;

    /// <summary>The value of <c>--name</c>, or null when it is not given.</summary>
    public string? Find(string name) => _values.TryGetValue(name, out var v) ? v : null;
}
