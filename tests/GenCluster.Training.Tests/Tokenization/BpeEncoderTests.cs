using GenCluster.Models.Text;
using GenCluster.Training.Tokenization;

namespace GenCluster.Training.Tests.Tokenization;

public class BpeEncoderTests : IClassFixture<BpeEncoderTests.Trained>
{
    /// <summary>One tokenizer shared by the tests of this class.</summary>
    public sealed class Trained : IDisposable
    {
        public TinyCorpus Corpus { get; } = new();
        public void Dispose() => Corpus.Dispose();
    }

    readonly BpeEncoder encoder;
    readonly HfTokenizer runtime;

    public BpeEncoderTests(Trained trained)
    {
        encoder = new BpeEncoder(BpeVocabulary.Load(Path.Combine(trained.Corpus.TokenizerDir, "tokenizer.json")));
        runtime = HfTokenizer.Load(trained.Corpus.TokenizerDir);
    }

    public static TheoryData<string> Texts => new()
    {
        "In the beginning God created the heaven and the earth.\n",
        "emoji 😀👍🏽 and flags 🇫🇷, zero-width joiner 👩‍💻",
        "中文字符 日本語のテキスト 한국어",
        "combining: e\u0301 a\u0308 n\u0303 Z\u0335\u0321; Ωmega ß ﬁ",
        "  leading, trailing and\ttabs\r\n\n\n  multiple   spaces  ",
        "",
        "<|user|>\nhello<|end|>\n<|assistant|>\n",
        "And Moses spake unto Aaron, they'll say 'twas 1611.",
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void DecodingTheEncodingGivesTheTextBack(string text)
    {
        Assert.Equal(text, encoder.Decode(encoder.Encode(text)));
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void RuntimeTokenizerReadsTheFileAndEncodesAlike(string text)
    {
        var ids = encoder.Encode(text);
        Assert.Equal([SpecialTokens.Id(SpecialTokens.Bos), .. ids], runtime.Encode(text, addSpecialTokens: true, parseSpecial: true));
        Assert.Equal(text, runtime.Decode(ids));
    }

    [Fact]
    public void FrequentCorpusWordsAreSingleTokens()
    {
        Assert.Single(encoder.Encode(" Moses"));
        Assert.Single(encoder.Encode(" the"));
    }

    [Fact]
    public void SpecialTokenStringsEncodeToTheirIds()
    {
        var ids = encoder.Encode("<|bos|>And<|eos|>");
        Assert.Equal(SpecialTokens.Id(SpecialTokens.Bos), ids[0]);
        Assert.Equal(SpecialTokens.Id(SpecialTokens.Eos), ids[^1]);
    }

    [Fact]
    public void LowestRankedMergeIsAppliedFirstLikeHuggingFace()
    {
        // Merges: "b c" ranks before "a b", so "abc" must become [a, bc], not [ab, c].
        string[] bytes = [.. Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ToChar((byte)b).ToString())];
        var vocabulary = new BpeVocabulary([.. SpecialTokens.All, .. bytes, "bc", "ab"], [("b", "c"), ("a", "b")]);
        var tiny = new BpeEncoder(vocabulary);
        Assert.Equal([tiny.Id("a"), tiny.Id("bc")], tiny.Encode("abc"));
        Assert.Equal([tiny.Id("ab"), tiny.Id("ab")], tiny.Encode("abab"));
    }

    [Fact]
    public void SpaceIsTheGpt2SymbolAndAll256BytesAreDistinct()
    {
        Assert.Equal('Ġ', ByteLevelAlphabet.ToChar((byte)' '));
        Assert.Equal('Ċ', ByteLevelAlphabet.ToChar((byte)'\n'));
        Assert.Equal(256, Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ToChar((byte)b)).Distinct().Count());
    }
}
