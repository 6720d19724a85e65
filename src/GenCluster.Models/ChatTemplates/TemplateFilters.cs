using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GenCluster.Models.ChatTemplates;

/// <summary>jinja2's built-in filters used by chat templates, with transformers' tojson.</summary>
static partial class TemplateFilters
{
    /// <summary>Applies filter <paramref name="name"/> to <paramref name="value"/>.</summary>
    public static object? Apply(string name, object? value, List<object?> args, Dict kwargs)
    {
        object? Arg(int i, string key, object? fallback = null) =>
            i < args.Count ? args[i] : kwargs.TryGetValue(key, out var v) ? v : fallback;

        switch (name)
        {
            case "default" or "d":
                bool boolean = PyValue.IsTruthy(Arg(1, "boolean", false));
                return value is Undefined || (boolean && !PyValue.IsTruthy(value)) ? Arg(0, "default_value", "") : value;
            case "safe": return value;
        }
        if (value is Undefined u && name is not ("length" or "count" or "trim" or "string" or "list" or "items" or "join" or "lower" or "upper"))
            throw u.Error();
        switch (name)
        {
            case "trim": return PyString.Strip(PyValue.Str(value), Arg(0, "chars") as string, left: true, right: true);
            case "string": return PyValue.Str(value);
            case "upper": return PyValue.Str(value).ToUpperInvariant();
            case "lower": return PyValue.Str(value).ToLowerInvariant();
            case "capitalize": return PyString.Capitalize(PyValue.Str(value));
            case "title": return Title(PyValue.Str(value));
            case "length" or "count": return Length(value);
            case "tojson": return ToJson(value, Arg(1, "indent"), Arg(2, "separators"), Arg(3, "sort_keys"));
            case "join": return Join(value, PyValue.Str(Arg(0, "d", "")), Arg(1, "attribute") as string);
            case "replace":
                return PyString.Replace(PyValue.Str(value), PyValue.Str(Arg(0, "old")), PyValue.Str(Arg(1, "new")),
                    Arg(2, "count") is { } c ? PyValue.ToLong(c, "count") : -1);
            case "first": return TemplateMembers.Iterate(value).Cast<object?>().DefaultIfEmpty(Undefined.Of("first")).First();
            case "last":
                var all = TemplateMembers.Iterate(value).ToList();
                return all.Count > 0 ? all[^1] : Undefined.Of("last");
            case "list": return TemplateMembers.Iterate(value).ToList();
            case "reverse": return value is string s ? string.Concat(PyString.CodePoints(s).AsEnumerable().Reverse()) : TemplateMembers.Iterate(value).Reverse().ToList();
            case "items": return value is Dict d ? TemplateMembers.Items(d) : value is Undefined ? new List<object?>()
                : throw new TemplateRuntimeException($"items filter needs a mapping, got {PyValue.TypeName(value)}");
            case "unique": return Unique(value);
            case "int": return ToInt(value, Arg(0, "default", 0L));
            case "float": return ToFloat(value, Arg(0, "default", 0.0));
            case "abs": return value is double dv ? Math.Abs(dv) : (object)Math.Abs(PyValue.ToLong(value, "abs"));
            // jinja2's "common" rounding is Python's round(): halves go to the even neighbour.
            case "round": return Math.Round(PyValue.ToDouble(value), (int)PyValue.ToLong(Arg(0, "precision", 0L), "precision"), MidpointRounding.ToEven);
            case "sort": return Sort(value, PyValue.IsTruthy(Arg(0, "reverse", false)), PyValue.IsTruthy(Arg(1, "case_sensitive", false)), Arg(2, "attribute") as string);
            case "dictsort": return DictSort(value, PyValue.IsTruthy(Arg(0, "case_sensitive", false)), PyValue.Str(Arg(1, "by", "key")), PyValue.IsTruthy(Arg(2, "reverse", false)));
            case "batch": return Batch(value, (int)PyValue.ToLong(Arg(0, "linecount"), "linecount"), Arg(1, "fill_with"));
            case "center":
                string text = PyValue.Str(value);
                int width = (int)PyValue.ToLong(Arg(0, "width", 80L), "width"), margin = Math.Max(0, width - text.Length);
                int left = margin / 2 + (margin & width & 1); // CPython's str.center split
                return new string(' ', left) + text + new string(' ', margin - left);
            case "indent": return Indent(PyValue.Str(value), Arg(0, "width", 4L), PyValue.IsTruthy(Arg(1, "first", false)), PyValue.IsTruthy(Arg(2, "blank", false)));
            case "sum": return TemplateMembers.Iterate(value).Aggregate((object?)0L, (acc, x) => TemplateOperators.Arithmetic("+", acc, x));
            case "min" or "max":
                var ordered = TemplateMembers.Iterate(value).ToList();
                ordered.Sort((a, b) => PyValue.Compare(a, b, "<"));
                return ordered.Count == 0 ? Undefined.Of(name) : name == "min" ? ordered[0] : ordered[^1];
            case "wordcount": return (long)PyString.Split(PyValue.Str(value), null, -1).Count;
            case "map": return Map(value, args, kwargs);
            case "select" or "reject": return Select(value, args, attribute: null, keep: name == "select");
            case "selectattr" or "rejectattr":
                return Select(value, args.Skip(1).ToList(), attribute: PyValue.Str(args[0]), keep: name == "selectattr");
            case "escape" or "e": return Escape(PyValue.Str(value));
            default: throw new TemplateRuntimeException($"no filter named '{name}'");
        }
    }

    static object Length(object? value) => value switch
    {
        string s => (long)PyString.CodePoints(s).Count,
        List<object?> l => (long)l.Count,
        Dict d => (long)d.Count,
        Undefined => 0L,
        _ => throw new TemplateRuntimeException($"object of type '{PyValue.TypeName(value)}' has no len()"),
    };

    static string ToJson(object? value, object? indent, object? separators, object? sortKeys)
    {
        string? indentText = indent switch
        {
            null => null,
            string s => s,
            _ => new string(' ', (int)PyValue.ToLong(indent, "indent")),
        };
        var seps = separators as List<object?>;
        return PythonJson.Dumps(value, indentText, seps?[0] as string, seps?[1] as string, PyValue.IsTruthy(sortKeys));
    }

    static string Join(object? value, string separator, string? attribute) =>
        string.Join(separator, TemplateMembers.Iterate(value)
            .Select(x => PyValue.Str(attribute == null ? x : TemplateMembers.GetItem(x, attribute))));

    /// <summary>jinja2's title filter: capitalise each word, words begin after '-', whitespace and brackets.</summary>
    static string Title(string s) =>
        string.Concat(WordBeginning().Split(s).Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p[1..].ToLowerInvariant()));

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginning();

    static List<object?> Unique(object? value)
    {
        var result = new List<object?>();
        foreach (var x in TemplateMembers.Iterate(value))
            if (!result.Any(y => PyValue.Equals(x is string a ? a.ToLowerInvariant() : x, y is string b ? b.ToLowerInvariant() : y)))
                result.Add(x);
        return result;
    }

    static object? ToInt(object? value, object? fallback) => value switch
    {
        long or bool => PyValue.ToLong(value, "int"),
        double d => (long)Math.Truncate(d),
        string s when long.TryParse(s.Trim().Replace("_", ""), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) => l,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => (long)Math.Truncate(d),
        _ => fallback,
    };

    static object? ToFloat(object? value, object? fallback) => value switch
    {
        long or bool or double => PyValue.ToDouble(value),
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
        _ => fallback,
    };

    /// <summary>jinja2's indent filter (3.x): indent every line but the first unless first=True; blank lines stay empty unless blank=True.</summary>
    static string Indent(string s, object? width, bool first, bool blank)
    {
        string pad = width as string ?? new string(' ', (int)PyValue.ToLong(width, "width"));
        var lines = PyString.SplitLines(s + "\n");
        string rv = blank
            ? string.Join("\n" + pad, lines)
            : lines[0] + (lines.Count > 1 ? "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? pad + l : l)) : "");
        return first ? pad + rv : rv;
    }

    static List<object?> Map(object? value, List<object?> args, Dict kwargs)
    {
        var items = TemplateMembers.Iterate(value);
        if (kwargs.TryGetValue("attribute", out var attribute))
        {
            kwargs.TryGetValue("default", out var fallback);
            return items.Select(x =>
            {
                var v = TemplateMembers.GetItem(x, attribute);
                return v is Undefined && kwargs.ContainsKey("default") ? fallback : v;
            }).ToList();
        }
        if (args.Count == 0) throw new TemplateRuntimeException("map needs a filter name or attribute=");
        string filter = PyValue.Str(args[0]);
        return items.Select(x => Apply(filter, x, args.Skip(1).ToList(), kwargs)).ToList();
    }

    static List<object?> Select(object? value, List<object?> args, string? attribute, bool keep) =>
        TemplateMembers.Iterate(value).Where(x =>
        {
            var probe = attribute == null ? x : attribute.Split('.').Aggregate(x, (o, part) => TemplateMembers.GetItem(o, part));
            bool passes = args.Count == 0 ? PyValue.IsTruthy(probe) : TemplateTests.Apply(PyValue.Str(args[0]), probe, args.Skip(1).ToList());
            return passes == keep;
        }).ToList();

    static object? SortKey(object? x, bool caseSensitive) => !caseSensitive && x is string s ? s.ToLowerInvariant() : x;

    static List<object?> Sort(object? value, bool reverse, bool caseSensitive, string? attribute)
    {
        var items = TemplateMembers.Iterate(value).ToList();
        object? Key(object? x) => SortKey(attribute == null ? x : TemplateMembers.GetItem(x, attribute), caseSensitive);
        // OrderBy is stable, like Python's sorted.
        var sorted = items.OrderBy(Key, Comparer<object?>.Create((a, b) => PyValue.Compare(a, b, "<"))).ToList();
        if (reverse) sorted = items.OrderByDescending(Key, Comparer<object?>.Create((a, b) => PyValue.Compare(a, b, "<"))).ToList();
        return sorted;
    }

    static List<object?> DictSort(object? value, bool caseSensitive, string by, bool reverse)
    {
        if (value is not Dict d) throw new TemplateRuntimeException($"dictsort needs a mapping, got {PyValue.TypeName(value)}");
        int position = by == "value" ? 1 : 0;
        var comparer = Comparer<object?>.Create((a, b) => PyValue.Compare(a, b, "<"));
        var pairs = TemplateMembers.Items(d).Cast<PyTuple>();
        var sorted = reverse ? pairs.OrderByDescending(p => SortKey(p[position], caseSensitive), comparer) : pairs.OrderBy(p => SortKey(p[position], caseSensitive), comparer);
        return sorted.Cast<object?>().ToList();
    }

    static List<object?> Batch(object? value, int size, object? fill)
    {
        if (size <= 0) throw new TemplateRuntimeException("batch size must be positive");
        var batches = TemplateMembers.Iterate(value).Chunk(size).Select(c => (object?)c.ToList()).ToList();
        if (fill != null && batches.Count > 0 && batches[^1] is List<object?> last)
            while (last.Count < size) last.Add(fill);
        return batches;
    }

    static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
            sb.Append(c switch { '&' => "&amp;", '<' => "&lt;", '>' => "&gt;", '"' => "&#34;", '\'' => "&#39;", _ => c.ToString() });
        return sb.ToString();
    }
}
