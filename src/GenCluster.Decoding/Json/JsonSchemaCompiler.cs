using System.Text.Encodings.Web;
using System.Text.Json;

namespace GenCluster.Decoding.Json;

/// <summary>
/// Compiles a JSON schema (the subset listed in <see cref="UnsupportedSchemaException"/>) into a character grammar
/// whose language is the JSON texts, in the whitespace policy of <see cref="JsonGrammarOptions"/>, that validate.
/// Objects with "properties" are emitted with their declared properties in declaration order (outlines' choice):
/// required ones always, optional ones possibly; undeclared keys are never emitted, whatever additionalProperties
/// says, since omitting them is always valid. An object schema without properties takes any keys, with values
/// of the additionalProperties schema.
/// </summary>
internal sealed class JsonSchemaCompiler
{
    static readonly HashSet<string> Annotations = ["$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "$defs", "definitions"];
    static readonly string[] StringKeywords = ["minLength", "maxLength"];
    static readonly string[] ArrayKeywords = ["items", "minItems", "maxItems", "uniqueItems"];
    static readonly string[] ObjectKeywords = ["properties", "required", "additionalProperties"];
    static readonly HashSet<string> Assertions = ["type", "enum", "const", "anyOf", "$ref", .. StringKeywords, .. ArrayKeywords, .. ObjectKeywords];
    static readonly string[] AllTypes = ["object", "array", "string", "number", "integer", "boolean", "null"];
    static readonly JsonSerializerOptions LiteralJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    readonly GrammarBuilder _g = new();
    readonly JsonTerminals _t;
    readonly JsonElement _root;
    readonly Dictionary<string, int> _references = [];

    JsonSchemaCompiler(JsonElement root, JsonGrammarOptions options)
    {
        _root = root;
        _t = new JsonTerminals(_g, options);
    }

    /// <summary>The grammar of <paramref name="schemaJson"/>, or of any JSON value when it is null.</summary>
    public static Grammar Compile(string? schemaJson, JsonGrammarOptions options)
    {
        using var document = JsonDocument.Parse(schemaJson ?? "true");
        var compiler = new JsonSchemaCompiler(document.RootElement, options);
        var root = compiler._g.NewRule("#");
        compiler._g.Add(root, [compiler.Value(document.RootElement, "#")]);
        return compiler._g.Build(root);
    }

    Symbol Value(JsonElement schema, string path)
    {
        if (schema.ValueKind == JsonValueKind.True) return _t.AnyValue;
        if (schema.ValueKind != JsonValueKind.Object)
            throw new InvalidSchemaException(path, schema.ValueKind == JsonValueKind.False ? "the schema false accepts no value" : $"a schema must be an object or a boolean, got {schema.ValueKind}");
        foreach (var keyword in schema.EnumerateObject())
        {
            if (keyword.Name is "uniqueItems" && keyword.Value.ValueKind == JsonValueKind.False) continue;
            if (keyword.Name is "uniqueItems" || !Annotations.Contains(keyword.Name) && !Assertions.Contains(keyword.Name))
                throw new UnsupportedSchemaException(keyword.Name, Pointer(path, keyword.Name));
        }
        foreach (var container in new[] { "$defs", "definitions" })
            if (schema.TryGetProperty(container, out var defs))
                foreach (var def in defs.EnumerateObject()) Reference(Pointer(Pointer(path, container), def.Name), path);

        if (schema.TryGetProperty("$ref", out var reference))
            return Alone(schema, "$ref", path, () => Reference(Expect(reference, JsonValueKind.String, Pointer(path, "$ref")).GetString()!, Pointer(path, "$ref")));
        if (schema.TryGetProperty("anyOf", out var anyOf))
            return Alone(schema, "anyOf", path, () => _g.Choice(Pointer(path, "anyOf"),
                Expect(anyOf, JsonValueKind.Array, Pointer(path, "anyOf")).EnumerateArray().Select((branch, i) => new[] { Value(branch, Pointer(Pointer(path, "anyOf"), i.ToString())) }).ToArray()));

        var types = Types(schema, path);
        if (schema.TryGetProperty("const", out var constant) || schema.TryGetProperty("enum", out _))
            return Literals(schema, types, path);
        return _g.Choice(path, types.Select(type => new[] { Typed(schema, type, path) }).ToArray());
    }

    /// <summary>$ref and anyOf take no sibling assertions: their conjunction is not expressible as alternatives.</summary>
    Symbol Alone(JsonElement schema, string keyword, string path, Func<Symbol> compile)
    {
        foreach (var sibling in schema.EnumerateObject())
            if (sibling.Name != keyword && Assertions.Contains(sibling.Name))
                throw new UnsupportedSchemaException(sibling.Name, Pointer(path, sibling.Name), $"beside '{keyword}'; move it into the referenced schema or into each anyOf branch");
        return compile();
    }

    /// <summary>A local reference ("#" or a "#/..." JSON pointer into the root), compiled once, so recursion closes a cycle of rules.</summary>
    Symbol Reference(string pointer, string path)
    {
        if (_references.TryGetValue(pointer, out var known)) return Symbol.Rule(known);
        if (!pointer.StartsWith('#'))
            throw new UnsupportedSchemaException("$ref", path, $"only local references such as '#/$defs/name' are supported, got '{pointer}'");
        var target = _root;
        foreach (var raw in pointer.Length > 1 ? pointer[2..].Split('/') : [])
        {
            var token = Uri.UnescapeDataString(raw).Replace("~1", "/").Replace("~0", "~");
            if (target.ValueKind == JsonValueKind.Object && target.TryGetProperty(token, out var child)) target = child;
            else if (target.ValueKind == JsonValueKind.Array && int.TryParse(token, out var index) && index < target.GetArrayLength()) target = target[index];
            else throw new InvalidSchemaException(path, $"$ref '{pointer}' points at nothing");
        }
        var rule = _g.NewRule(pointer);
        _references[pointer] = rule;
        _g.Add(rule, [Value(target, pointer)]);
        return Symbol.Rule(rule);
    }

    /// <summary>The types a value may take: "type" (string or list), else those implied by type-specific keywords, else all.</summary>
    static string[] Types(JsonElement schema, string path)
    {
        if (schema.TryGetProperty("type", out var type))
        {
            var names = (type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().ToArray() : [type])
                .Select(t => Expect(t, JsonValueKind.String, Pointer(path, "type")).GetString()).ToArray();
            foreach (var name in names)
                if (!AllTypes.Contains(name))
                    throw new InvalidSchemaException(Pointer(path, "type"), $"unknown type '{name}'; expected one of {string.Join(", ", AllTypes)}");
            return names.Distinct().ToArray()!;
        }
        bool Has(string[] keywords) => keywords.Any(k => schema.TryGetProperty(k, out _));
        var implied = new[] { (ObjectKeywords, "object"), (ArrayKeywords, "array"), (StringKeywords, "string") }
            .Where(c => Has(c.Item1)).Select(c => c.Item2).ToArray();
        return implied.Length > 0 ? implied : AllTypes;
    }

    Symbol Typed(JsonElement schema, string type, string path) => type switch
    {
        "string" => StringOf(schema, path),
        "integer" => _t.Integer,
        "number" => _t.Number,
        "boolean" => _t.Boolean,
        "null" => _t.Null,
        "array" => ArrayOf(schema, path),
        _ => new ObjectRules(_g, _t, Value).Compile(schema, path),
    };

    Symbol StringOf(JsonElement schema, string path)
    {
        var (min, max) = Bounds(schema, "minLength", "maxLength", path);
        return _t.String(min, max);
    }

    Symbol ArrayOf(JsonElement schema, string path)
    {
        var (min, max) = Bounds(schema, "minItems", "maxItems", path);
        if (schema.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array)
            throw new UnsupportedSchemaException("items", Pointer(path, "items"), "tuple form (an array of schemas)");
        var item = schema.TryGetProperty("items", out items) ? Value(items, Pointer(path, "items")) : _t.AnyValue;
        return _t.Array(path, item, min, max);
    }

    static (int Min, int? Max) Bounds(JsonElement schema, string minKeyword, string maxKeyword, string path)
    {
        int? Read(string keyword) => schema.TryGetProperty(keyword, out var v)
            ? v.TryGetInt32(out var n) && n >= 0 ? n : throw new InvalidSchemaException(Pointer(path, keyword), $"{keyword} must be a non-negative integer, got {v.GetRawText()}")
            : null;
        var (min, max) = (Read(minKeyword) ?? 0, Read(maxKeyword));
        if (max < min) throw new InvalidSchemaException(path, $"{minKeyword} {min} exceeds {maxKeyword} {max}");
        return (min, max);
    }

    /// <summary>enum/const: the listed values (those of an allowed type), each as its compact JSON text.</summary>
    Symbol Literals(JsonElement schema, string[] types, string path)
    {
        IEnumerable<JsonElement> values = schema.TryGetProperty("enum", out var list) ? Expect(list, JsonValueKind.Array, Pointer(path, "enum")).EnumerateArray().ToArray() : [];
        if (schema.TryGetProperty("const", out var constant))
            values = list.ValueKind == JsonValueKind.Array ? values.Where(v => JsonElement.DeepEquals(v, constant)) : [constant];
        var texts = values.Where(v => types.Any(t => HasType(v, t))).Select(v => JsonSerializer.Serialize(v, LiteralJson)).Distinct().ToArray();
        if (texts.Length == 0) throw new InvalidSchemaException(path, "no enum/const value is allowed by the schema's type");
        return _g.Choice(Pointer(path, "enum"), texts.Select(_g.Literal).ToArray());
    }

    static bool HasType(JsonElement value, string type) => (type, value.ValueKind) switch
    {
        ("string", JsonValueKind.String) or ("number", JsonValueKind.Number) or ("null", JsonValueKind.Null)
            or ("boolean", JsonValueKind.True or JsonValueKind.False) or ("object", JsonValueKind.Object) or ("array", JsonValueKind.Array) => true,
        ("integer", JsonValueKind.Number) => value.TryGetDecimal(out var d) && d == Math.Floor(d),
        _ => false,
    };

    static JsonElement Expect(JsonElement value, JsonValueKind kind, string path) => value.ValueKind == kind ? value
        : throw new InvalidSchemaException(path, $"expected a JSON {kind.ToString().ToLowerInvariant()}, got {value.GetRawText()}");

    /// <summary>Appends a reference token to a JSON pointer, escaping '~' and '/' (RFC 6901).</summary>
    internal static string Pointer(string path, string token) => path + "/" + token.Replace("~", "~0").Replace("/", "~1");

    /// <summary>The JSON text of a property name, as emitted in keys.</summary>
    internal static string Quoted(string name) => JsonSerializer.Serialize(name, LiteralJson);
}
