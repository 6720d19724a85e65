namespace GenCluster.Models.ChatTemplates;

/// <summary>Jinja's undefined value: renders as "", is falsy, iterates as empty, fails on use in arithmetic or lookup.</summary>
public sealed class Undefined
{
    /// <summary>The name (or lookup) that produced this value, for error messages.</summary>
    public string Name { get; }

    Undefined(string name) => Name = name;

    /// <summary>An undefined value for the given variable or attribute description.</summary>
    public static Undefined Of(string name) => new(name);

    /// <summary>The error jinja2 raises when an undefined value is used.</summary>
    public TemplateRuntimeException Error() => new($"'{Name}' is undefined");

    /// <inheritdoc />
    public override string ToString() => "";
}
