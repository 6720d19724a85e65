using System.Globalization;
using System.Text;

namespace GenCluster.Models.ChatTemplates;

/// <summary>
/// Python semantics of template values (truthiness, str(), repr(), ==, ordering), because chat templates
/// are written against jinja2 running on Python. Values are: null (None), <see cref="Undefined"/>, bool,
/// long, double, string, List&lt;object?&gt; (list/tuple), Dict (OrderedDictionary&lt;string, object?&gt;),
/// <see cref="Namespace"/>, <see cref="LoopContext"/> and <see cref="Callable"/>.
/// </summary>
public static class PyValue
{
    /// <summary>Python bool(x).</summary>
    public static bool IsTruthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        Dict d => d.Count > 0,
        _ => true,
    };

    /// <summary>Python str(x), with jinja's rule that undefined renders as "".</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(v),
    };

    /// <summary>Python repr(x).</summary>
    public static string Repr(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        string s => StringRepr(s),
        PyTuple t => "(" + string.Join(", ", t.Select(Repr)) + (t.Count == 1 ? ",)" : ")"),
        List<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
        Dict d => "{" + string.Join(", ", d.Select(kv => StringRepr(kv.Key) + ": " + Repr(kv.Value))) + "}",
        Namespace n => "<Namespace " + string.Join(", ", n.Attributes.Select(kv => kv.Key + "=" + Repr(kv.Value))) + ">",
        _ => v.ToString() ?? "",
    };

    /// <summary>Python's type name, as used in jinja2/Python error messages.</summary>
    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        PyTuple => "tuple",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        Dict => "dict",
        _ => v.GetType().Name,
    };

    /// <summary>Python ==, deep for lists and dicts; 1 == 1.0 == True as in Python.</summary>
    public static new bool Equals(object? a, object? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a) == ToDouble(b);
        return (a, b) switch
        {
            (null, null) => true,
            (Undefined, Undefined) => true,
            (string x, string y) => x == y,
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equals(p.First, p.Second)),
            (Dict x, Dict y) => x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var o) && Equals(kv.Value, o)),
            _ => false,
        };
    }

    /// <summary>Python ordering (&lt;, &gt;) for numbers, strings and lists; other pairs fail as in Python.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a).CompareTo(ToDouble(b));
        if (a is string x && b is string y) return string.CompareOrdinal(x, y);
        if (a is List<object?> la && b is List<object?> lb)
        {
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
                if (!Equals(la[i], lb[i])) return Compare(la[i], lb[i], op);
            return la.Count.CompareTo(lb.Count);
        }
        throw new TemplateRuntimeException($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    /// <summary>True for bool, long and double (Python's bool is an int).</summary>
    public static bool IsNumber(object? v) => v is long or double or bool;

    /// <summary>A number as double (True = 1).</summary>
    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new TemplateRuntimeException($"expected a number, got {TypeName(v)}"),
    };

    /// <summary>An integer-valued number as long (True = 1), else a runtime error naming the use.</summary>
    public static long ToLong(object? v, string what) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new TemplateRuntimeException($"{what} must be an integer, got {TypeName(v)}"),
    };

    /// <summary>Python repr(float): shortest round-trip digits, scientific below 1e-4 and from 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        // Shortest round-trip digits come from "R"; normalise them into digits + decimal exponent.
        string shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        int exp;
        string digits;
        int e = shortest.IndexOfAny(['E', 'e']);
        string mantissa = e >= 0 ? shortest[..e] : shortest;
        int extra = e >= 0 ? int.Parse(shortest[(e + 1)..], CultureInfo.InvariantCulture) : 0;
        int dot = mantissa.IndexOf('.');
        string intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        string frac = dot >= 0 ? mantissa[(dot + 1)..] : "";
        digits = (intPart + frac).TrimStart('0');
        int leadingZeros = (intPart + frac).Length - digits.Length;
        exp = intPart.Length - leadingZeros - 1 + extra; // exponent of the first significant digit
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var sb = new StringBuilder(d < 0 ? "-" : "");
        if (exp < -4 || exp >= 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (exp < 0)
            sb.Append("0.").Append('0', -exp - 1).Append(digits);
        else if (digits.Length <= exp + 1)
            sb.Append(digits).Append('0', exp + 1 - digits.Length).Append(".0");
        else
            sb.Append(digits, 0, exp + 1).Append('.').Append(digits, exp + 1, digits.Length - exp - 1);
        return sb.ToString();
    }

    /// <summary>Python repr(str): single quotes unless the text has ' and no ".</summary>
    public static string StringRepr(string s)
    {
        char q = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder().Append(q);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == q) sb.Append('\\').Append(c);
                    else if (c < 0x20 || (c >= 0x7f && c <= 0xa0)) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append(q).ToString();
    }
}
