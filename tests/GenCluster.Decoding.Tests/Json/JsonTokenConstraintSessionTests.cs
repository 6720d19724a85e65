using System.Text.Json;
using GenCluster.Decoding.Json;
using GenCluster.Models;
using GenCluster.Sampling;
using GenCluster.TestSupport;
using NJsonSchema;

namespace GenCluster.Decoding.Tests.Json;

/// <summary>The JSON constraint inside the real generation loop on the llama-tiny fixture (random weights, 512 ids given synthetic texts).</summary>
public class JsonTokenConstraintSessionTests
{
    const string Schema = """
        {"type":"object","properties":{"name":{"type":"string","maxLength":10},"age":{"type":"integer"},
         "tags":{"type":"array","items":{"enum":["x","y"]},"maxItems":3},"ok":{"type":"boolean"}},"required":["name","age","tags"]}
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GreedyAndSampledGenerationsEndWithEosAndValidate(bool sample)
    {
        var texts = SyntheticVocabulary.Build(512);
        texts[0] = texts[1] = texts[2] = null; // PAD, BOS, EOS of the fixtures
        // Short indents keep the longest possible value well inside the fixture's 256 positions.
        var compiled = JsonConstraint.Compile(Schema, new TokenVocabulary(texts, [2]), new JsonGrammarOptions { MaxIndent = 2 });
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var sampling = sample
            ? new SamplingParams { DoSample = true, Temperature = 1.0, TopK = 50, Seed = 7, N = 3, MaxNewTokens = 240 }
            : new SamplingParams { MaxNewTokens = 240 };
        var request = new GenerationRequest { Prompts = [[1, 5, 6]], Sampling = sampling, EosTokenIds = [2], Constraint = _ => new JsonTokenConstraint(compiled) };
        using var session = new GenerationSession(loaded.Model, request);
        while (!session.IsFinished) session.Step();

        var validator = await JsonSchema.FromJsonAsync(Schema);
        for (int i = 0; i < session.SequenceCount; i++)
        {
            Assert.Equal(FinishReason.Eos, session.FinishOf(i));
            var text = string.Concat(session.Generated(i).SkipLast(1).Select(id => texts[id]));
            using var parsed = JsonDocument.Parse(text);
            Assert.Empty(validator.Validate(text));
        }
    }
}
