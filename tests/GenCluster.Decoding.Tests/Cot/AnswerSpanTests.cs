using GenCluster.Decoding.Cot;

namespace GenCluster.Decoding.Tests.Cot;

/// <summary>Finding the answer span in text and mapping it back to the tokens that produced it.</summary>
public class AnswerSpanTests
{
    [Theory]
    [InlineData("5 apples and 12 pears, so 17.", "17")]
    [InlineData("it costs -3.50 or 1,200 dollars", "1,200")]
    [InlineData("no digits here", null)]
    public void TheDefaultPatternFindsTheLastNumber(string text, string? expected) =>
        Assert.Equal(expected, AnswerSpan.Find(AnswerSpan.Compile(AnswerSpan.LastNumber), text)?.Value);

    [Fact]
    public void ANamedOrFirstGroupIsTheAnswer()
    {
        Assert.Equal("Paris", AnswerSpan.Find(AnswerSpan.Compile(@"answer is (?<answer>\w+)"), "the answer is Paris.")?.Value);
        var span = AnswerSpan.Find(AnswerSpan.Compile(@"= (\d+)"), "2+2 = 4; 3+3 = 6")!.Value;
        Assert.Equal(("6", 15, 16), (span.Value, span.Start, span.End));
    }

    [Fact]
    public void TokensOverlappingTheSpanIncludeThoseHoldingIncompleteCharacters()
    {
        // "ab" "" "é1" "2" "x": the empty piece is the first byte of é, completed by the next token.
        string[] pieces = ["ab", "", "é1", "2", "x"];
        Assert.Equal([1, 2, 3], AnswerSpan.Tokens(pieces, 3, 5));
        Assert.Equal([0], AnswerSpan.Tokens(pieces, 1, 2));
        Assert.Equal([4], AnswerSpan.Tokens(pieces, 5, 6));
    }
}
