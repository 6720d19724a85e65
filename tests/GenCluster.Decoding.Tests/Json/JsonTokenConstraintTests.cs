using GenCluster.Decoding.Json;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Tests.Json;

public class JsonTokenConstraintTests
{
    [Fact]
    public void MasksARowAndFollowsTheChosenTokensUntilComplete()
    {
        string?[] texts = ["<eos>", "[", "1", "]", "x", "]]"];
        var sequence = new JsonTokenConstraint(JsonConstraint.Compile("""{"type":"array","items":{"type":"integer"}}""", texts, [0]));
        using var scores = zeros(2, texts.Length);
        using (var row = scores.narrow(0, 1, 1)) sequence.Mask(row);
        using var untouched = scores[0];
        using var masked = scores[1];
        Assert.All(untouched.data<float>().ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal([float.NegativeInfinity, 0f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], masked.data<float>().ToArray());
        foreach (var token in new long[] { 1, 2, 3 }) sequence.Advance(token);
        Assert.True(sequence.IsComplete);
        sequence.Advance(0);
        Assert.Throws<ArgumentException>(() => sequence.Advance(4));
    }

    [Fact]
    public void AVocabularyThatCannotSpellTheValueIsADeadEnd()
    {
        var sequence = new JsonTokenConstraint(JsonConstraint.Compile("""{"enum":["b"]}""", ["<eos>", "\"", "a"], [0]));
        using var scores = zeros(1, 3);
        sequence.Mask(scores);
        sequence.Advance(1);
        Assert.Throws<JsonDeadEndException>(() => sequence.Mask(scores));
    }
}
