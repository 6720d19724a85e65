namespace GenCluster.Models.ChatTemplates;

/// <summary>Python's binary arithmetic and <c>in</c> as jinja2 evaluates them (including Python's TypeErrors).</summary>
static class TemplateOperators
{
    /// <summary>Evaluates <c>left op right</c> for +, -, *, /, //, %, **.</summary>
    public static object? Arithmetic(string op, object? left, object? right)
    {
        if (left is Undefined u) throw u.Error();
        if (right is Undefined v) throw v.Error();
        bool integral = left is long or bool && right is long or bool;
        if (PyValue.IsNumber(left) && PyValue.IsNumber(right))
            return integral ? IntegerArithmetic(op, PyValue.ToLong(left, op), PyValue.ToLong(right, op))
                : FloatArithmetic(op, PyValue.ToDouble(left), PyValue.ToDouble(right));
        return (op, left, right) switch
        {
            ("+", string a, string b) => a + b,
            ("%", string format, _) => PercentFormat(format, right),
            ("+", List<object?> a, List<object?> b) => a.Concat(b).ToList(),
            ("*", string a, long or bool) => string.Concat(Enumerable.Repeat(a, (int)Math.Max(0, PyValue.ToLong(right, op)))),
            ("*", List<object?> a, long or bool) => Enumerable.Repeat(a, (int)Math.Max(0, PyValue.ToLong(right, op))).SelectMany(x => x).ToList(),
            ("+", string, _) => throw new TemplateRuntimeException($"can only concatenate str (not \"{PyValue.TypeName(right)}\") to str"),
            ("+", List<object?>, _) => throw new TemplateRuntimeException($"can only concatenate list (not \"{PyValue.TypeName(right)}\") to list"),
            _ => throw new TemplateRuntimeException(
                $"unsupported operand type(s) for {op}: '{PyValue.TypeName(left)}' and '{PyValue.TypeName(right)}'"),
        };
    }

    static object IntegerArithmetic(string op, long a, long b)
    {
        if (b == 0 && op is "/" or "//" or "%") throw new TemplateRuntimeException("division by zero");
        return op switch
        {
            "+" => (object)(a + b),
            "-" => a - b,
            "*" => a * b,
            "/" => (double)a / b,
            "//" => FloorDiv(a, b),
            "%" => a - FloorDiv(a, b) * b,
            _ => b >= 0 ? (object)(long)Math.Pow(a, b) : Math.Pow(a, b),
        };
    }

    static long FloorDiv(long a, long b) => (a / b) - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);

    static object FloatArithmetic(string op, double a, double b)
    {
        if (b == 0 && op is "/" or "//" or "%") throw new TemplateRuntimeException("float division by zero");
        return op switch
        {
            "+" => a + b,
            "-" => a - b,
            "*" => a * b,
            "/" => a / b,
            "//" => Math.Floor(a / b),
            "%" => a - Math.Floor(a / b) * b,
            _ => Math.Pow(a, b),
        };
    }

    /// <summary>Python's printf-style <c>format % args</c> for %s, %r, %d, %i, %f (with precision) and %%.</summary>
    static string PercentFormat(string format, object? right)
    {
        var args = right is PyTuple t ? t : new List<object?> { right };
        var sb = new System.Text.StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            int start = ++i;
            while (i < format.Length && (char.IsAsciiDigit(format[i]) || format[i] == '.')) i++;
            char kind = format[i];
            if (kind == '%') { sb.Append('%'); continue; }
            if (next >= args.Count) throw new TemplateRuntimeException("not enough arguments for format string");
            object? arg = args[next++];
            string spec = format[start..i];
            int precision = spec.Contains('.') ? int.Parse(spec[(spec.IndexOf('.') + 1)..], System.Globalization.CultureInfo.InvariantCulture) : 6;
            sb.Append(kind switch
            {
                's' => PyValue.Str(arg),
                'r' => PyValue.Repr(arg),
                'd' or 'i' => ((long)Math.Truncate(PyValue.ToDouble(arg))).ToString(System.Globalization.CultureInfo.InvariantCulture),
                'f' => PyValue.ToDouble(arg).ToString("F" + precision, System.Globalization.CultureInfo.InvariantCulture),
                _ => throw new TemplateRuntimeException($"unsupported format character '{kind}'"),
            });
        }
        if (next < args.Count) throw new TemplateRuntimeException("not all arguments converted during string formatting");
        return sb.ToString();
    }

    /// <summary>Python <c>item in container</c>.</summary>
    public static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal)
            : throw new TemplateRuntimeException($"'in <string>' requires string as left operand, not {PyValue.TypeName(item)}"),
        List<object?> l => l.Any(x => PyValue.Equals(x, item)),
        Dict d => item is string key && d.ContainsKey(key),
        Namespace n => item is string attr && n.Attributes.ContainsKey(attr),
        Undefined => false,
        _ => throw new TemplateRuntimeException($"argument of type '{PyValue.TypeName(container)}' is not iterable"),
    };
}
