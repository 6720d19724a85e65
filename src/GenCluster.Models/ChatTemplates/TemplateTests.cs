namespace GenCluster.Models.ChatTemplates;

/// <summary>jinja2's tests (<c>x is defined</c>, <c>x is string</c>, <c>x is equalto y</c>, ...).</summary>
static class TemplateTests
{
    /// <summary>Evaluates test <paramref name="name"/> on <paramref name="value"/>.</summary>
    public static bool Apply(string name, object? value, List<object?> args)
    {
        object? Other() => args.Count > 0 ? args[0] : throw new TemplateRuntimeException($"test '{name}' needs an argument");
        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "integer" => value is long,
            "float" => value is double,
            "number" => value is long or double or bool,
            "string" => value is string,
            "mapping" => value is Dict,
            "iterable" => value is string or List<object?> or Dict or Undefined,
            "sequence" => value is string or List<object?> or Dict,
            "callable" => value is Callable,
            "sameas" => ReferenceEquals(value, Other()) || (value is bool or null && Equals(value, Other())),
            "escaped" => false,
            "lower" => value is string s && s == s.ToLowerInvariant(),
            "upper" => value is string s && s == s.ToUpperInvariant(),
            "odd" => PyValue.ToLong(value, "odd test") % 2 != 0,
            "even" => PyValue.ToLong(value, "even test") % 2 == 0,
            "divisibleby" => PyValue.ToLong(value, "divisibleby test") % PyValue.ToLong(Other(), "divisor") == 0,
            "in" => TemplateOperators.Contains(Other(), value),
            "eq" or "equalto" or "==" => PyValue.Equals(value, Other()),
            "ne" or "!=" => !PyValue.Equals(value, Other()),
            "lt" or "lessthan" or "<" => PyValue.Compare(value, Other(), "<") < 0,
            "le" or "<=" => PyValue.Compare(value, Other(), "<=") <= 0,
            "gt" or "greaterthan" or ">" => PyValue.Compare(value, Other(), ">") > 0,
            "ge" or ">=" => PyValue.Compare(value, Other(), ">=") >= 0,
            _ => throw new TemplateRuntimeException($"no test named '{name}'"),
        };
    }
}
