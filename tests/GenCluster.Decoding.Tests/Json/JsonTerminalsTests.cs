using GenCluster.Decoding.Json;

namespace GenCluster.Decoding.Tests.Json;

public class JsonTerminalsTests
{
    [Fact]
    public void IntegerRejectsFractionsExponentsAndLeadingZeros() =>
        JsonSchemaCompilerTests.AssertLanguage("""{"type":"integer"}""", ["0", "-0", "7", "-120", "123456789012345"], ["1.5", "1e3", "01", "--1", "+1", "1234567890123456", ""]);

    [Fact]
    public void NumberAcceptsFractionsAndBoundedExponents() =>
        JsonSchemaCompilerTests.AssertLanguage("""{"type":"number"}""", ["0", "-1.25", "3e10", "2.5E-07", "1e+99"], ["1.", ".5", "1e", "1e100", "0x10", "NaN"]);

    [Fact]
    public void StringsAcceptEscapesAndCountCodePointsForLength() =>
        JsonSchemaCompilerTests.AssertLanguage("""{"type":"string","minLength":2,"maxLength":3}""",
            ["\"ab\"", "\"a\\nb\"", "\"\\u00e9\\\"\"", "\"é中文\""],
            ["\"a\"", "\"abcd\"", "\"a\\u00e9bc\"", "\"a\\x\"", "\"a\nb\"", "\"\\ud83dx\"", "\"ab", "\"a😀\""]);

    [Fact]
    public void SupplementaryCharactersOnlyInStringsWithoutLengthBounds()
    {
        Assert.True(JsonSchemaCompilerTests.Compile("""{"type":"string"}""").Accepts("\"😀\""));
        Assert.False(JsonSchemaCompilerTests.Compile("""{"type":"string","maxLength":5}""").Accepts("\"😀\""));
    }

    [Fact]
    public void WhitespaceIsBoundedAndNeverLeadsOrTrails()
    {
        var indent = new string(' ', JsonGrammarOptions.Default.MaxIndent);
        JsonSchemaCompilerTests.AssertLanguage("""{"type":"array"}""", ["[ 1 ]", $"[\n{indent}1\n]"], [$"[\n{indent} 1]", "[  1]", " []", "[] ", "[\n\n1]"]);
    }

    [Fact]
    public void NoSchemaAcceptsAnyJsonValue() =>
        JsonSchemaCompilerTests.AssertLanguage(null!, ["{\"a\":[1,{\"b\":null}],\"c\":\"d\"}", "[]", "\"s\"", "-1.5e3", "true", "{}"], ["{a:1}", "[1,]", "'s'", "{\"a\"}", ""]);

    [Fact]
    public void DeeplyNestedValuesAreAccepted() =>
        Assert.True(JsonSchemaCompilerTests.Compile(null).Accepts(new string('[', 500) + "{\"a\":1}" + new string(']', 500)));
}
