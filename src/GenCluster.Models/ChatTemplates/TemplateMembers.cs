namespace GenCluster.Models.ChatTemplates;

/// <summary>
/// Attribute and item lookup, slicing and iteration as jinja2's sandbox does them: <c>obj.name</c> tries
/// Python attributes (dict/str methods) before items, <c>obj[key]</c> tries items before attributes, and a
/// failed lookup yields undefined rather than an error.
/// </summary>
static class TemplateMembers
{
    /// <summary>jinja2 getattr(obj, name).</summary>
    public static object? GetAttribute(object? target, string name)
    {
        switch (target)
        {
            case Undefined u:
                throw u.Error();
            case Dict d:
                var method = DictMethod(d, name);
                if (method != null) return method;
                return d.TryGetValue(name, out var value) ? value : Undefined.Of(name);
            case string s:
                return PyString.Method(s, name) ?? (object)Undefined.Of(name);
            case Namespace n:
                return n.Attributes.TryGetValue(name, out var attr) ? attr : Undefined.Of(name);
            case LoopContext loop:
                return loop.Get(name);
            default:
                return Undefined.Of(name);
        }
    }

    /// <summary>jinja2 getitem(obj, key).</summary>
    public static object? GetItem(object? target, object? key)
    {
        switch (target, key)
        {
            case (Undefined u, _):
                throw u.Error();
            case (Dict d, string k) when d.TryGetValue(k, out var value):
                return value;
            case (List<object?> l, long or bool):
                long i = PyValue.ToLong(key, "index");
                if (i < 0) i += l.Count;
                return i >= 0 && i < l.Count ? l[(int)i] : Undefined.Of($"list index {key}");
            case (string s, long or bool):
                var chars = PyString.CodePoints(s);
                long j = PyValue.ToLong(key, "index");
                if (j < 0) j += chars.Count;
                return j >= 0 && j < chars.Count ? chars[(int)j] : Undefined.Of($"string index {key}");
            case (_, string name):
                return GetAttribute(target, name);
            default:
                return Undefined.Of($"item {PyValue.Repr(key)}");
        }
    }

    /// <summary>Python slicing <c>seq[start:stop:step]</c> on lists and strings.</summary>
    public static object? Slice(object? target, long? start, long? stop, long? step)
    {
        if (target is Undefined u) throw u.Error();
        var items = target switch
        {
            List<object?> l => l,
            string s => PyString.CodePoints(s).Cast<object?>().ToList(),
            _ => throw new TemplateRuntimeException($"'{PyValue.TypeName(target)}' object is not subscriptable"),
        };
        var picked = SliceIndices(items.Count, start, stop, step ?? 1).Select(i => items[i]).ToList();
        return target is string ? string.Concat(picked.Cast<string>()) : picked;
    }

    static IEnumerable<int> SliceIndices(int length, long? start, long? stop, long step)
    {
        if (step == 0) throw new TemplateRuntimeException("slice step cannot be zero");
        long Clamp(long? v, long fallback, long lo, long hi)
        {
            if (v == null) return fallback;
            long x = v.Value < 0 ? v.Value + length : v.Value;
            return Math.Clamp(x, lo, hi);
        }
        if (step > 0)
        {
            for (long i = Clamp(start, 0, 0, length), end = Clamp(stop, length, 0, length); i < end; i += step) yield return (int)i;
        }
        else
        {
            for (long i = Clamp(start, length - 1, -1, length - 1), end = Clamp(stop, -1, -1, length - 1); i > end; i += step) yield return (int)i;
        }
    }

    /// <summary>Python iter(x): list items, dict keys, string characters; undefined iterates as empty.</summary>
    public static IEnumerable<object?> Iterate(object? value) => value switch
    {
        List<object?> l => l,
        Dict d => d.Keys,
        string s => PyString.CodePoints(s),
        Undefined => [],
        _ => throw new TemplateRuntimeException($"'{PyValue.TypeName(value)}' object is not iterable"),
    };

    /// <summary>dict.items() as a list of (key, value) pairs.</summary>
    public static List<object?> Items(Dict d) => d.Select(kv => (object?)new PyTuple([kv.Key, kv.Value])).ToList();

    static Callable? DictMethod(Dict d, string name) => name switch
    {
        "items" => new Callable("items", (_, _) => Items(d)),
        "keys" => new Callable("keys", (_, _) => d.Keys.Cast<object?>().ToList()),
        "values" => new Callable("values", (_, _) => d.Values.ToList()),
        "get" => new Callable("get", (args, _) =>
            args.Count > 0 && args[0] is string k && d.TryGetValue(k, out var v) ? v : args.Count > 1 ? args[1] : null),
        _ => null,
    };
}
