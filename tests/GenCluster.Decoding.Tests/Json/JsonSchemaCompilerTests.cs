using GenCluster.Decoding.Json;

namespace GenCluster.Decoding.Tests.Json;

public class JsonSchemaCompilerTests
{
    /// <summary>Character-level checks need no real vocabulary: printable ASCII suffices to compile.</summary>
    internal static readonly string?[] AsciiVocabulary = ["<eos>", .. Enumerable.Range(' ', '~' - ' ' + 1).Select(c => ((char)c).ToString())];

    internal static JsonConstraint Compile(string? schema) => JsonConstraint.Compile(schema, AsciiVocabulary, [0]);

    internal static void AssertLanguage(string schema, string[] accepted, string[] rejected)
    {
        var constraint = Compile(schema);
        foreach (var text in accepted) Assert.True(constraint.Accepts(text), $"{schema} should accept {text}");
        foreach (var text in rejected) Assert.False(constraint.Accepts(text), $"{schema} should reject {text}");
    }

    [Fact]
    public void ScalarTypesAcceptTheirOwnValuesOnly() =>
        AssertLanguage("""{"type":"boolean"}""", ["true", "false"], ["null", "1", "\"true\"", "tru", "true "]);

    [Fact]
    public void NullAndTypeListsCombine() =>
        AssertLanguage("""{"type":["string","null"]}""", ["null", "\"x\"", "\"\""], ["0", "false", "nul"]);

    [Fact]
    public void EnumAndConstAcceptExactlyTheListedValues()
    {
        AssertLanguage("""{"enum":["red","green",3,null,{"a":[1]}]}""", ["\"red\"", "\"green\"", "3", "null", "{\"a\":[1]}"], ["\"blue\"", "\"re\"", "4", "{}"]);
        AssertLanguage("""{"const":"ok"}""", ["\"ok\""], ["\"no\"", "ok"]);
        AssertLanguage("""{"type":"string","enum":["a",1]}""", ["\"a\""], ["1"]);
    }

    [Fact]
    public void AnyOfAcceptsEachBranchEvenWithSharedPrefixes() =>
        AssertLanguage("""{"anyOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},{"type":"object","properties":{"b":{"type":"string"}},"required":["b"]}]}""",
            ["{\"a\":1}", "{\"b\":\"x\"}"], ["{\"a\":\"x\"}", "{\"b\":1}", "{}"]);

    [Fact]
    public void ArraysRespectItemsAndCountBounds() =>
        AssertLanguage("""{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3}""",
            ["[1]", "[1,2,3]", "[ 1, 2 ]", "[\n  1,\n  2\n]"], ["[]", "[1,2,3,4]", "[1,]", "[\"a\"]", "[1 2]"]);

    [Fact]
    public void ArrayWithMaxItemsZeroIsEmpty() =>
        AssertLanguage("""{"type":"array","maxItems":0}""", ["[]", "[ ]"], ["[1]"]);

    [Fact]
    public void LocalRefsResolveIncludingRecursion() =>
        AssertLanguage("""
            {"$defs":{"node":{"type":"object","properties":{"value":{"type":"integer"},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["value"]}},
             "$ref":"#/$defs/node"}
            """,
            ["{\"value\":1}", "{\"value\":1,\"children\":[{\"value\":2,\"children\":[{\"value\":3}]}]}"],
            ["{\"children\":[]}", "{\"value\":1,\"children\":[{}]}"]);

    [Theory]
    [InlineData("""{"type":"string","pattern":"^a+$"}""", "pattern", "#/pattern")]
    [InlineData("""{"type":"object","properties":{"age":{"type":"integer","minimum":0}}}""", "minimum", "#/properties/age/minimum")]
    [InlineData("""{"oneOf":[{"type":"string"}]}""", "oneOf", "#/oneOf")]
    [InlineData("""{"allOf":[{"type":"string"}]}""", "allOf", "#/allOf")]
    [InlineData("""{"not":{"type":"string"}}""", "not", "#/not")]
    [InlineData("""{"type":"string","format":"date"}""", "format", "#/format")]
    [InlineData("""{"type":"array","items":{"type":"string"},"uniqueItems":true}""", "uniqueItems", "#/uniqueItems")]
    [InlineData("""{"$defs":{"a":{"type":"integer","multipleOf":2}},"$ref":"#/$defs/a"}""", "multipleOf", "#/$defs/a/multipleOf")]
    [InlineData("""{"$ref":"https://example.com/s.json"}""", "$ref", "#/$ref")]
    [InlineData("""{"anyOf":[{"type":"string"}],"type":"string"}""", "type", "#/type")]
    [InlineData("""{"type":"array","items":[{"type":"string"}]}""", "items", "#/items")]
    public void UnsupportedKeywordIsNamedWithItsPath(string schema, string keyword, string path)
    {
        var error = Assert.Throws<UnsupportedSchemaException>(() => Compile(schema));
        Assert.Equal(keyword, error.Keyword);
        Assert.Equal(path, error.Path);
        Assert.Contains($"'{keyword}'", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Theory]
    [InlineData("""{"type":"string","minLength":5,"maxLength":2}""", "minLength 5 exceeds maxLength 2")]
    [InlineData("""{"type":"object","properties":{"next":{"$ref":"#"}},"required":["next"]}""", "no finite JSON value")]
    [InlineData("""{"$defs":{"a":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}""", "no finite JSON value")]
    [InlineData("""{"$defs":{"a":{"anyOf":[{"$ref":"#/$defs/a"},{"type":"null"}]}},"$ref":"#/$defs/a"}""", "$ref cycle that reads no character")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "points at nothing")]
    [InlineData("""{"type":"text"}""", "unknown type 'text'")]
    [InlineData("""{"type":"object","properties":{},"required":["a"],"additionalProperties":false}""", "'a' is required")]
    [InlineData("false", "accepts no value")]
    [InlineData("""{"anyOf":{"type":"string"}}""", "expected a JSON array")]
    [InlineData("""{"type":3}""", "expected a JSON string, got 3")]
    public void UnsatisfiableOrMalformedSchemaIsRejected(string schema, string problem) =>
        Assert.Contains(problem, Assert.Throws<InvalidSchemaException>(() => Compile(schema)).Message);
}
