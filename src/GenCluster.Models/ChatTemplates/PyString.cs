using System.Text;

namespace GenCluster.Models.ChatTemplates;

/// <summary>Python str methods that chat templates call (strip, split, startswith, title, format, ...).</summary>
static class PyString
{
    /// <summary>The string's code points, each as a string (Python indexes code points, not UTF-16 units).</summary>
    public static List<string> CodePoints(string s)
    {
        var result = new List<string>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            bool pair = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]);
            result.Add(pair ? s.Substring(i++, 2) : s[i].ToString());
        }
        return result;
    }

    /// <summary>A bound method <c>s.name</c>, or null when str has no such method.</summary>
    public static Callable? Method(string s, string name)
    {
        Func<List<object?>, Dict, object?>? body = name switch
        {
            "strip" => (a, _) => Strip(s, Chars(a), left: true, right: true),
            "lstrip" => (a, _) => Strip(s, Chars(a), left: true, right: false),
            "rstrip" => (a, _) => Strip(s, Chars(a), left: false, right: true),
            "upper" => (_, _) => s.ToUpperInvariant(),
            "lower" => (_, _) => s.ToLowerInvariant(),
            "title" => (_, _) => Title(s),
            "capitalize" => (_, _) => Capitalize(s),
            "startswith" => (a, _) => Affixes(a).Any(p => s.StartsWith(p, StringComparison.Ordinal)),
            "endswith" => (a, _) => Affixes(a).Any(p => s.EndsWith(p, StringComparison.Ordinal)),
            "split" => (a, k) => Split(s, Arg(a, k, 0, "sep") as string, Arg(a, k, 1, "maxsplit") is long m ? m : -1),
            "splitlines" => (_, _) => SplitLines(s).Cast<object?>().ToList(),
            "replace" => (a, _) => Replace(s, (string)a[0]!, (string)a[1]!, a.Count > 2 ? PyValue.ToLong(a[2], "count") : -1),
            "find" => (a, _) => (long)s.IndexOf((string)a[0]!, StringComparison.Ordinal),
            "count" => (a, _) => (long)CountOccurrences(s, (string)a[0]!),
            "join" => (a, _) => string.Join(s, TemplateMembers.Iterate(a[0]).Select(PyValue.Str)),
            "format" => (a, k) => Format(s, a, k),
            "isdigit" => (_, _) => s.Length > 0 && s.All(char.IsDigit),
            "isalpha" => (_, _) => s.Length > 0 && s.All(char.IsLetter),
            "isspace" => (_, _) => s.Length > 0 && s.All(char.IsWhiteSpace),
            _ => null,
        };
        return body == null ? null : new Callable("str." + name, body);
    }

    static object? Arg(List<object?> args, Dict kwargs, int i, string name) =>
        i < args.Count ? args[i] : kwargs.TryGetValue(name, out var v) ? v : null;

    static string? Chars(List<object?> args) => args.Count > 0 ? args[0] as string : null;

    static IEnumerable<string> Affixes(List<object?> args) => args.Count == 0 ? []
        : args[0] is List<object?> many ? many.Select(PyValue.Str) : [PyValue.Str(args[0])];

    /// <summary>str.strip/lstrip/rstrip: whitespace, or the given set of characters.</summary>
    public static string Strip(string s, string? chars, bool left, bool right)
    {
        Func<char, bool> drop = chars == null ? char.IsWhiteSpace : chars.Contains;
        int start = 0, end = s.Length;
        if (left) while (start < end && drop(s[start])) start++;
        if (right) while (end > start && drop(s[end - 1])) end--;
        return s[start..end];
    }

    /// <summary>str.split: on runs of whitespace (dropping empties) when sep is None, else on sep exactly.</summary>
    public static List<object?> Split(string s, string? sep, long maxSplit)
    {
        var parts = new List<object?>();
        if (sep == null)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxSplit >= 0 && parts.Count == maxSplit) { parts.Add(s[i..].TrimEnd()); break; }
                int start = i;
                while (i < s.Length && !char.IsWhiteSpace(s[i])) i++;
                parts.Add(s[start..i]);
            }
            return parts;
        }
        if (sep.Length == 0) throw new TemplateRuntimeException("empty separator");
        int from = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            int at = s.IndexOf(sep, from, StringComparison.Ordinal);
            if (at < 0) break;
            parts.Add(s[from..at]);
            from = at + sep.Length;
        }
        parts.Add(s[from..]);
        return parts;
    }

    /// <summary>str.splitlines on Python's line boundaries.</summary>
    public static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c is not ('\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')) continue;
            lines.Add(s[start..i]);
            if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
            start = i + 1;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    /// <summary>Python str.title(): upper-case after any non-letter, lower-case elsewhere.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (char c in s)
        {
            sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsLetter(c);
        }
        return sb.ToString();
    }

    /// <summary>Python str.capitalize(): first character upper, the rest lower.</summary>
    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>str.replace with an optional maximum count.</summary>
    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) return old.Length == 0 ? string.Join(replacement, [.. CodePoints(s).Prepend("").Append("")]) : s.Replace(old, replacement, StringComparison.Ordinal);
        var sb = new StringBuilder();
        int from = 0;
        for (long n = 0; n < count; n++)
        {
            int at = s.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0 || old.Length == 0) break;
            sb.Append(s, from, at - from).Append(replacement);
            from = at + old.Length;
        }
        return sb.Append(s, from, s.Length - from).ToString();
    }

    static int CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0) return CodePoints(s).Count + 1;
        int n = 0;
        for (int at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>str.format with {}, {0} and {name} fields (no format specs); {{ and }} are literal braces.</summary>
    static string Format(string s, List<object?> args, Dict kwargs)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if ((c == '{' || c == '}') && i + 1 < s.Length && s[i + 1] == c) { sb.Append(c); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            int close = s.IndexOf('}', i);
            if (close < 0) throw new TemplateRuntimeException("single '{' encountered in format string");
            string field = s[(i + 1)..close];
            object? value = field.Length == 0 ? args[auto++]
                : int.TryParse(field, out int index) ? args[index]
                : kwargs.TryGetValue(field, out var named) ? named
                : throw new TemplateRuntimeException($"format field '{field}' not given");
            sb.Append(PyValue.Str(value));
            i = close;
        }
        return sb.ToString();
    }
}
