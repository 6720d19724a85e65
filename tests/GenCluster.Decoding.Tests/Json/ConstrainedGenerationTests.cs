using System.Text.Json;
using GenCluster.Decoding.Json;
using NJsonSchema;

namespace GenCluster.Decoding.Tests.Json;

/// <summary>
/// End to end without a model: random-score generation under the mask over a 6000-token synthetic vocabulary
/// must always give text that System.Text.Json parses and that NJsonSchema (an independent validator) accepts.
/// </summary>
public class ConstrainedGenerationTests
{
    static readonly TokenVocabulary Vocabulary = new(SyntheticVocabulary.Build(6000), [SyntheticVocabulary.Eos]);

    public static TheoryData<string, string?> Schemas => new()
    {
        { "nested object", """
            {"type":"object","properties":{
              "name":{"type":"string","minLength":1,"maxLength":12},
              "age":{"type":"integer"},
              "address":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"string","minLength":5,"maxLength":5}},"required":["city"],"additionalProperties":false},
              "score":{"type":"number"},
              "active":{"type":"boolean"}},
             "required":["name","age","address"],"additionalProperties":false}
            """ },
        { "bounded arrays", """{"type":"array","items":{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3},"minItems":2,"maxItems":4}""" },
        { "enums and const", """{"type":"object","properties":{"color":{"enum":["red","green","blue"]},"n":{"enum":[1,2.5,null,true]},"kind":{"const":"fixed"}},"required":["color","n","kind"]}""" },
        { "anyOf", """{"type":"array","items":{"anyOf":[{"type":"string","maxLength":4},{"type":"integer"},{"type":"null"},{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]}]},"maxItems":6}""" },
        { "recursive $ref", """
            {"$defs":{"node":{"type":"object","properties":{"label":{"type":"string","maxLength":8},"children":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":3}},"required":["label"],"additionalProperties":false}},
             "type":"object","properties":{"tree":{"$ref":"#/$defs/node"}},"required":["tree"]}
            """ },
        { "string lengths", """{"type":"array","items":{"type":"string","minLength":3,"maxLength":8},"minItems":3,"maxItems":3}""" },
        { "integers vs numbers", """{"type":"object","properties":{"i":{"type":"integer"},"n":{"type":"number"},"both":{"type":["integer","null"]}},"required":["i","n","both"]}""" },
        { "free-form map", """{"type":"object","additionalProperties":{"type":"array","items":{"type":"boolean"},"maxItems":3}}""" },
        { "pydantic style", """
            {"$defs":{"Item":{"title":"Item","type":"object","properties":{"sku":{"title":"Sku","type":"string"},"qty":{"title":"Qty","type":"integer"},"note":{"anyOf":[{"type":"string"},{"type":"null"}],"default":null}},"required":["sku","qty"]}},
             "title":"Order","type":"object","properties":{"id":{"type":"integer"},"items":{"type":"array","items":{"$ref":"#/$defs/Item"},"minItems":1}},"required":["id","items"]}
            """ },
        { "recursion through #", """{"type":"array","items":{"anyOf":[{"type":"integer"},{"$ref":"#"}]},"maxItems":3}""" },
        { "top-level string", """{"type":"string","maxLength":20}""" },
        { "any JSON", null },
    };

    [Theory]
    [MemberData(nameof(Schemas))]
    public async Task EveryRandomGenerationParsesAndValidates(string name, string? schema)
    {
        var constraint = JsonConstraint.Compile(schema, Vocabulary);
        // NJsonSchema 11 resolves references into "definitions" (draft 7), not "$defs" (2019-09): same schema, older spelling.
        var validator = await JsonSchema.FromJsonAsync(schema?.Replace("$defs", "definitions") ?? "{}");
        for (int seed = 0; seed < 25; seed++)
        {
            var (tokens, text) = new RandomJsonModel(constraint, seed).Generate();
            using var parsed = JsonDocument.Parse(text);
            var errors = validator.Validate(text);
            Assert.True(errors.Count == 0, $"{name}, seed {seed}: {text}\n{string.Join("\n", errors)}");
            Assert.True(constraint.Accepts(text), $"{name}, seed {seed}: automaton rejects its own output {text}");
            Assert.NotEmpty(tokens);
        }
    }

    [Fact]
    public void GenerationsDifferAcrossSeedsAndUseMultiCharacterTokens()
    {
        var constraint = JsonConstraint.Compile((string)Schemas.First()[1]!, Vocabulary);
        var runs = Enumerable.Range(0, 5).Select(seed => new RandomJsonModel(constraint, seed).Generate()).ToArray();
        Assert.Equal(5, runs.Select(r => r.Text).Distinct().Count());
        Assert.Contains(runs.SelectMany(r => r.Tokens), id => Vocabulary.Texts[id]!.Length > 1);
    }
}
