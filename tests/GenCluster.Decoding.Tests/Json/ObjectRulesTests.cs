namespace GenCluster.Decoding.Tests.Json;

public class ObjectRulesTests
{
    const string Person = """
        {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"}},
         "required":["name","age"],"additionalProperties":false}
        """;

    [Fact]
    public void RequiredPropertiesAreAlwaysPresentAndOptionalOnesMayBe()
    {
        var constraint = JsonSchemaCompilerTests.Compile(Person);
        Assert.True(constraint.Accepts("""{"name":"a","age":1}"""));
        Assert.True(constraint.Accepts("""{"name":"a","age":1,"email":"e"}"""));
        Assert.True(constraint.Accepts("{\n  \"name\": \"a\",\n  \"age\": 1\n}"));
        Assert.False(constraint.Accepts("""{"name":"a"}"""));
        Assert.False(constraint.Accepts("""{"age":1}"""));
    }

    [Fact]
    public void PropertiesComeInDeclarationOrderWithoutExtrasOrDuplicates()
    {
        var constraint = JsonSchemaCompilerTests.Compile(Person);
        Assert.False(constraint.Accepts("""{"age":1,"name":"a"}"""));
        Assert.False(constraint.Accepts("""{"name":"a","age":1,"other":2}"""));
        Assert.False(constraint.Accepts("""{"name":"a","name":"b","age":1}"""));
        Assert.False(constraint.Accepts("""{"name":"a","age":1,}"""));
    }

    [Fact]
    public void AllOptionalPropertiesAllowTheEmptyObjectAndAnySubset()
    {
        var constraint = JsonSchemaCompilerTests.Compile("""{"properties":{"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"}}}""");
        foreach (var text in new[] { "{}", "{ }", """{"b":2}""", """{"a":1,"c":3}""", """{"a":1,"b":2,"c":3}""" })
            Assert.True(constraint.Accepts(text), text);
        Assert.False(constraint.Accepts("""{,"b":2}"""));
    }

    [Fact]
    public void RequiredNamesMissingFromPropertiesUseTheAdditionalPropertiesSchema()
    {
        var constraint = JsonSchemaCompilerTests.Compile("""{"type":"object","required":["k"],"additionalProperties":{"type":"boolean"}}""");
        Assert.True(constraint.Accepts("""{"k":true}"""));
        Assert.False(constraint.Accepts("""{"k":1}"""));
        Assert.False(constraint.Accepts("{}"));
    }

    [Fact]
    public void ObjectWithoutPropertiesTakesAnyKeysWithTheAdditionalPropertiesValues()
    {
        var constraint = JsonSchemaCompilerTests.Compile("""{"type":"object","additionalProperties":{"type":"integer"}}""");
        Assert.True(constraint.Accepts("""{"x":1,"y z":2}"""));
        Assert.True(constraint.Accepts("{}"));
        Assert.False(constraint.Accepts("""{"x":"1"}"""));
        Assert.True(JsonSchemaCompilerTests.Compile("""{"type":"object","additionalProperties":false}""").Accepts("{}"));
        Assert.False(JsonSchemaCompilerTests.Compile("""{"type":"object","additionalProperties":false}""").Accepts("""{"a":1}"""));
    }

    [Fact]
    public void KeysNeedingEscapesAreEmittedEscaped()
    {
        var constraint = JsonSchemaCompilerTests.Compile("""{"properties":{"a\"b":{"type":"null"}},"required":["a\"b"]}""");
        Assert.True(constraint.Accepts("""{"a\"b":null}"""));
    }
}
