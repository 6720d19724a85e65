using System.Text.Json;
using GenCluster.Decoding.Json;
using GenCluster.Models;
using GenCluster.Sampling;
using GenCluster.TestSupport;
using NJsonSchema;

namespace GenCluster.Decoding.Tests.Json;

/// <summary>The generation loop with a JSON-schema constraint over a real model's logits (llama-tiny, a 512-token synthetic vocabulary).</summary>
public class JsonGenerationSessionTests
{
    const string Schema = """
    {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer"},
     "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 3}}, "required": ["name", "age"], "additionalProperties": false}
    """;

    sealed class TextOf(string?[] texts) : ITextStream
    {
        public string Push(long tokenId) => tokenId == SyntheticVocabulary.Eos ? "" : texts[tokenId] ?? "";
        public string Flush() => "";
    }

    [Theory]
    [InlineData(false, 0.0, 1)]
    [InlineData(true, 1.0, 11)]
    [InlineData(true, 0.7, 12)]
    public async Task OutputAlwaysParsesAndValidatesUnderAnySamplingMethod(bool sample, double temperature, ulong seed)
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var texts = SyntheticVocabulary.Build(512);
        var constraint = JsonConstraint.Compile(Schema, texts, [SyntheticVocabulary.Eos]);
        var p = new SamplingParams { DoSample = sample, Temperature = temperature, TopK = sample ? 40 : 0, TopP = sample ? 0.95 : 1, Seed = seed, N = 3, MaxNewTokens = 200 };
        var request = new GenerationRequest
        {
            Prompts = [[1, 17, 42]], Sampling = p, EosTokenIds = [SyntheticVocabulary.Eos],
            Constraint = _ => new JsonTokenConstraint(constraint),
        };
        using var session = new GenerationSession(loaded.Model, request, _ => new TextOf(texts));
        var text = new string[3];
        await foreach (var e in GenerationStream.RunAsync(session)) text[e.Sequence] += e.TextDelta;
        var validator = await JsonSchema.FromJsonAsync(Schema);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(FinishReason.Eos, session.FinishOf(i));
            using var doc = JsonDocument.Parse(text[i]!);
            Assert.Empty(validator.Validate(text[i]!));
        }
    }
}
