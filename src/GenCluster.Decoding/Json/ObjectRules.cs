using System.Text.Json;

namespace GenCluster.Decoding.Json;

/// <summary>
/// Grammar of an object schema with declared properties, emitted in declaration order: required ones always,
/// optional ones possibly. Rule rest(i, emitted) is "the members from property i on", where emitted says whether
/// a member came before (so whether a comma is due); rest(n, false) has no alternative, which makes "{ }" without
/// a member go through the separate empty-object alternative.
/// </summary>
internal sealed class ObjectRules(GrammarBuilder g, JsonTerminals t, Func<JsonElement, string, Symbol> value)
{
    static readonly JsonElement Anything = JsonDocument.Parse("true").RootElement;

    /// <summary>The object rule of <paramref name="schema"/> (type object, or implied by object keywords).</summary>
    public Symbol Compile(JsonElement schema, string path)
    {
        var hasAdditional = schema.TryGetProperty("additionalProperties", out var additional);
        var closed = hasAdditional && additional.ValueKind == JsonValueKind.False;
        var extraValue = hasAdditional && !closed ? additional : Anything;
        var extraPath = hasAdditional ? JsonSchemaCompiler.Pointer(path, "additionalProperties") : path;

        var declared = new List<(string Name, JsonElement Schema, string Path)>();
        if (schema.TryGetProperty("properties", out var properties))
        {
            if (properties.ValueKind != JsonValueKind.Object)
                throw new InvalidSchemaException(JsonSchemaCompiler.Pointer(path, "properties"), "properties must be an object");
            foreach (var p in properties.EnumerateObject())
                declared.Add((p.Name, p.Value, JsonSchemaCompiler.Pointer(JsonSchemaCompiler.Pointer(path, "properties"), p.Name)));
        }
        var required = Required(schema, path);
        foreach (var name in required.Where(r => declared.All(d => d.Name != r)))
        {
            if (closed) throw new InvalidSchemaException(path, $"property '{name}' is required but additionalProperties is false and it is not in properties");
            declared.Add((name, extraValue, extraPath));
        }

        Symbol[] open = [g.Char('{'), .. t.Ws], close = [.. t.Ws, g.Char('}')];
        if (declared.Count == 0)
            return closed ? g.Choice(path, [g.Char('{'), .. t.Ws, g.Char('}')]) : t.FreeObject(path, value(extraValue, extraPath));

        var members = declared.Select(d => (Symbol[])[.. g.Literal(JsonSchemaCompiler.Quoted(d.Name)), .. t.Ws, g.Char(':'), .. t.Ws, value(d.Schema, d.Path)]).ToArray();
        var optional = declared.Select(d => !required.Contains(d.Name)).ToArray();
        var rest = new Dictionary<(int, bool), int>();

        Symbol Rest(int i, bool emitted)
        {
            if (rest.TryGetValue((i, emitted), out var known)) return Symbol.Rule(known);
            var rule = g.NewRule($"{path}/rest[{i},{emitted}]");
            rest[(i, emitted)] = rule;
            if (i == declared.Count)
            {
                if (emitted) g.Add(rule, []);
                return Symbol.Rule(rule);
            }
            g.Add(rule, emitted ? t.Comma : [], members[i], [Rest(i + 1, true)]);
            if (optional[i]) g.Add(rule, [Rest(i + 1, emitted)]);
            return Symbol.Rule(rule);
        }

        Symbol[] filled = [.. open, Rest(0, false), .. close];
        return optional.All(o => o) ? g.Choice(path, [g.Char('{'), .. t.Ws, g.Char('}')], filled) : g.Choice(path, filled);
    }

    static HashSet<string> Required(JsonElement schema, string path)
    {
        if (!schema.TryGetProperty("required", out var required)) return [];
        if (required.ValueKind != JsonValueKind.Array || required.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
            throw new InvalidSchemaException(JsonSchemaCompiler.Pointer(path, "required"), "required must be an array of property names");
        return required.EnumerateArray().Select(r => r.GetString()!).ToHashSet();
    }
}
