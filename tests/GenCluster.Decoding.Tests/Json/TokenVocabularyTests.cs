using GenCluster.Decoding.Json;

namespace GenCluster.Decoding.Tests.Json;

public class TokenVocabularyTests
{
    [Fact]
    public void TrieHoldsEveryPlaceableTokenOnceAndSharesPrefixes()
    {
        var vocabulary = new TokenVocabulary(["<eos>", "ab", "abc", "a", "b", null, "", "\uFFFD", "ab"], [0]);
        Assert.Equal(9, vocabulary.Size);
        Assert.Equal(5, vocabulary.PlaceableCount); // ab, abc, a, b and the duplicate ab
        Assert.Equal(5, vocabulary.NodeCount);      // root, a, ab, abc, b
    }

    [Fact]
    public void EosOutsideTheVocabularyIsRejected() =>
        Assert.Contains("EOS id 7", Assert.Throws<ArgumentOutOfRangeException>(() => new TokenVocabulary(["a", "b"], [7])).Message);

    [Fact]
    public void DuplicateTextsAreAllowedTogether()
    {
        var constraint = JsonConstraint.Compile("""{"type":"string"}""", new TokenVocabulary(["<eos>", "\"a", "\"", "\"a"], [0]));
        Assert.Equal([1, 2, 3], constraint.AllowedTokens(constraint.Start()).AllowedIds());
    }
}
