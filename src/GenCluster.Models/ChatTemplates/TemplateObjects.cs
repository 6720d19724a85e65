namespace GenCluster.Models.ChatTemplates;

/// <summary>A Python dict as templates see it: string keys in insertion order (JSON objects, dict literals).</summary>
public sealed class Dict : OrderedDictionary<string, object?>
{
    /// <summary>An empty dict.</summary>
    public Dict() { }
}

/// <summary>A Python tuple: a list that prints as <c>('a', 1)</c> (dict items, dictsort, tuple literals).</summary>
public sealed class PyTuple : List<object?>
{
    /// <summary>A tuple of the given items.</summary>
    public PyTuple(IEnumerable<object?> items) : base(items) { }
}

/// <summary>jinja2's <c>namespace()</c>: a mutable attribute bag that survives loop scopes.</summary>
public sealed class Namespace
{
    /// <summary>The attributes set so far.</summary>
    public Dict Attributes { get; } = new();
}

/// <summary>A function callable from a template: globals, macros, bound string/dict methods.</summary>
public sealed class Callable(string name, Func<List<object?>, Dict, object?> invoke)
{
    /// <summary>Name used in error messages.</summary>
    public string Name { get; } = name;

    /// <summary>Calls with positional and keyword arguments.</summary>
    public object? Invoke(List<object?> args, Dict kwargs) => invoke(args, kwargs);

    /// <inheritdoc />
    public override string ToString() => $"<function {Name}>";
}

/// <summary>The <c>loop</c> variable inside a for block (index, index0, first, last, length, ...).</summary>
public sealed class LoopContext(List<object?> items)
{
    /// <summary>0-based position of the current item.</summary>
    public int Index0 { get; set; }

    /// <summary>loop.&lt;name&gt;, or undefined for an unknown attribute.</summary>
    public object? Get(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : Undefined.Of("loop.previtem"),
        "nextitem" => Index0 < items.Count - 1 ? items[Index0 + 1] : Undefined.Of("loop.nextitem"),
        "cycle" => new Callable("loop.cycle", (args, _) => args.Count == 0
            ? throw new TemplateRuntimeException("loop.cycle needs at least one argument") : args[Index0 % args.Count]),
        _ => Undefined.Of("loop." + name),
    };
}
