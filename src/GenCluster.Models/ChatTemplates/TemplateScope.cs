namespace GenCluster.Models.ChatTemplates;

/// <summary>
/// A variable frame. jinja2 gives each for-loop iteration and each macro call its own frame, so a
/// <c>set</c> inside a loop does not leak out (which is why templates use <c>namespace()</c>).
/// </summary>
sealed class TemplateScope(TemplateScope? parent)
{
    readonly TemplateScope? parent = parent;
    readonly Dictionary<string, object?> variables = [];

    /// <summary>The variable's value from this frame or an enclosing one, or undefined.</summary>
    public object? Lookup(string name)
    {
        for (var scope = this; scope != null; scope = scope.parent)
            if (scope.variables.TryGetValue(name, out var value)) return value;
        return Undefined.Of(name);
    }

    /// <summary>Assigns in this frame.</summary>
    public void Set(string name, object? value) => variables[name] = value;
}
