using GenCluster.Decoding.Json;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Tests.Json;

public class JsonConstraintTests
{
    static readonly TokenVocabulary Vocabulary = new(SyntheticVocabulary.Build(3000), [SyntheticVocabulary.Eos]);

    const string Schema = """
        {"type":"object","properties":{"a":{"type":"string","maxLength":6},"b":{"type":"array","items":{"type":"number"},"maxItems":2},"c":{"enum":[true,"x"]}},"required":["a"]}
        """;

    [Theory]
    [InlineData(Schema)]
    [InlineData("""{"type":"array","items":{"type":"string","minLength":2,"maxLength":40}}""")]
    [InlineData(null)]
    public void TrieWalkMaskEqualsCheckingEveryTokenOnItsOwn(string? schema)
    {
        var constraint = JsonConstraint.Compile(schema, Vocabulary);
        for (int seed = 0; seed < 4; seed++)
        {
            var random = new Random(seed);
            var state = constraint.Start();
            for (int step = 0; step < 80; step++)
            {
                var mask = constraint.AllowedTokens(state);
                var expected = Enumerable.Range(0, Vocabulary.Size).Where(id => constraint.TryAdvance(state, id, out _)).ToArray();
                Assert.Equal(expected, mask.AllowedIds());
                var choice = expected[random.Next(expected.Length)];
                if (choice == SyntheticVocabulary.Eos) break;
                state = constraint.Advance(state, choice);
            }
        }
    }

    [Fact]
    public void EosIsAllowedExactlyWhenTheValueIsComplete()
    {
        var constraint = JsonConstraint.Compile("""{"type":"integer"}""", Vocabulary);
        var state = constraint.Start();
        Assert.False(constraint.AllowedTokens(state).IsAllowed(SyntheticVocabulary.Eos));
        state = constraint.Advance(state, Id("-"));
        Assert.False(constraint.IsComplete(state));
        Assert.False(constraint.AllowedTokens(state).IsAllowed(SyntheticVocabulary.Eos));
        state = constraint.Advance(state, Id("123"));
        Assert.True(constraint.IsComplete(state));
        Assert.True(constraint.AllowedTokens(state).IsAllowed(SyntheticVocabulary.Eos));
        Assert.True(constraint.AllowedTokens(state).IsAllowed(Id("2024")));
        Assert.Equal(state, constraint.Advance(state, SyntheticVocabulary.Eos));
    }

    [Fact]
    public void AfterAClosedObjectOnlyEosRemains()
    {
        var constraint = JsonConstraint.Compile("""{"type":"object","properties":{"x":{"type":"null"}},"required":["x"]}""", Vocabulary);
        var state = constraint.Start();
        foreach (var piece in new[] { "{\"", "x", "\":", "null", "}" }) state = constraint.Advance(state, Id(piece));
        Assert.True(constraint.IsFinished(state));
        Assert.Equal([SyntheticVocabulary.Eos], constraint.AllowedTokens(state).AllowedIds());
    }

    [Fact]
    public void AdvancingWithADisallowedTokenNamesIt()
    {
        var constraint = JsonConstraint.Compile("""{"type":"boolean"}""", Vocabulary);
        var error = Assert.Throws<ArgumentException>(() => constraint.Advance(constraint.Start(), Id("null")));
        Assert.Contains($"token {Id("null")} (\"null\")", error.Message);
        Assert.Throws<ArgumentException>(() => constraint.Advance(constraint.Start(), SyntheticVocabulary.Eos));
    }

    [Fact]
    public void UnplaceableTokensAreNeverAllowed()
    {
        var constraint = JsonConstraint.Compile("""{"type":"string"}""", Vocabulary);
        var inString = constraint.Advance(constraint.Start(), Id("\""));
        var mask = constraint.AllowedTokens(inString);
        foreach (var text in new string?[] { null, "", "\uFFFD", "\uD83D", "a\uDE00" })
            Assert.False(mask.IsAllowed(Vocabulary.Texts.ToList().IndexOf(text)), $"token {text} must be excluded");
        Assert.True(mask.IsAllowed(Id("😀")));
        Assert.True(mask.IsAllowed(Id("\"")));
    }

    [Theory]
    [InlineData("cpu float32")]
    [InlineData("float64 (masked_fill path)")]
    public void ApplyToSetsDisallowedScoresToMinusInfinityIncludingPaddedIds(string kind)
    {
        var constraint = JsonConstraint.Compile("""{"type":"boolean"}""", Vocabulary);
        var mask = constraint.AllowedTokens(constraint.Start());
        using var scores = rand(2, Vocabulary.Size + 5, dtype: kind.StartsWith("cpu") ? ScalarType.Float32 : ScalarType.Float64);
        var before = scores.to_type(ScalarType.Float32).data<float>().ToArray();
        mask.ApplyTo(scores);
        var after = scores.to_type(ScalarType.Float32).data<float>().ToArray();
        var width = Vocabulary.Size + 5;
        for (int i = 0; i < after.Length; i++)
            Assert.Equal(mask.IsAllowed(i % width) ? before[i] : float.NegativeInfinity, after[i]);
        Assert.True(mask.IsAllowed(Id("true")) && mask.IsAllowed(Id("t")) && mask.IsAllowed(Id("fal")));
        Assert.Equal(2 * mask.Count, after.Count(float.IsFinite));
    }

    [Fact]
    public void ApplyToARowViewMasksThatRowOnly()
    {
        var constraint = JsonConstraint.Compile("""{"type":"null"}""", Vocabulary);
        var mask = constraint.AllowedTokens(constraint.Start());
        using var scores = zeros(3, Vocabulary.Size);
        using (var row = scores[1]) mask.ApplyTo(row);
        var finite = Enumerable.Range(0, 3).Select(r => { using var x = scores[r]; return x.data<float>().ToArray().Count(float.IsFinite); }).ToArray();
        Assert.Equal([Vocabulary.Size, mask.Count, Vocabulary.Size], finite);
    }

    static int Id(string text)
    {
        var id = Vocabulary.Texts.ToList().IndexOf(text);
        return id >= 0 ? id : throw new ArgumentException($"'{text}' is not in the synthetic vocabulary");
    }
}
