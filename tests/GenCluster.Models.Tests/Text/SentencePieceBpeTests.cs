using GenCluster.Models.Text;

namespace GenCluster.Models.Tests.Text;

/// <summary>SentencePiece-style BPE (Llama 2 / TinyLlama / Mistral structure) with byte fallback.</summary>
public class SentencePieceBpeTests
{
    static readonly Lazy<HfTokenizer> Llama2 = new(() => TokenizerFiles.Load(TokenizerFiles.Llama2Style()));

    static int Id(string piece) => Llama2.Value.IdOf(piece)!.Value;

    [Fact]
    public void Merges_words_with_metaspace_and_adds_bos()
    {
        Assert.Equal([1, Id("▁Hello"), Id("▁world")], Llama2.Value.Encode("Hello world"));
        Assert.Equal(BpeFlavor.SentencePiece, Llama2.Value.Flavor);
        Assert.Equal(1, Llama2.Value.BosId);
        Assert.Equal([2], Llama2.Value.EosIds);
    }

    [Fact]
    public void Unknown_characters_fall_back_to_utf8_byte_tokens()
    {
        int[] ids = Llama2.Value.Encode("Hi 世界😀", addSpecialTokens: false);
        Assert.Equal([Id("▁H"), Id("<0x69>"), Id("▁"), Id("世界"), Id("<0xF0>"), Id("<0x9F>"), Id("<0x98>"), Id("<0x80>")], ids);
        Assert.Equal("Hi 世界😀", Llama2.Value.Decode(ids));
    }

    [Fact]
    public void Decoding_strips_only_the_one_leading_space()
    {
        var t = Llama2.Value;
        Assert.Equal("Hello world", t.Decode(t.Encode("Hello world"), skipSpecialTokens: true));
        Assert.Equal(" Hello", t.Decode(t.Encode(" Hello", addSpecialTokens: false)));
        Assert.Equal("<s> Hello", t.Decode([1, Id("▁Hello")]));
    }

    [Theory]
    [InlineData("emoji 😀👍🏽 👨‍👩‍👧")]
    [InlineData("中文 日本語 한국어 e\u0301")]
    [InlineData("tabs\tand\nnewlines  double")]
    public void Arbitrary_utf8_round_trips_through_byte_fallback(string text) =>
        Assert.Equal(text, Llama2.Value.Decode(Llama2.Value.Encode(text), skipSpecialTokens: true));

    [Fact]
    public void Special_tokens_only_parse_when_asked()
    {
        var t = Llama2.Value;
        Assert.DoesNotContain(2, t.Encode("Hello</s>", addSpecialTokens: false));
        Assert.Equal([Id("▁Hello"), 2], t.Encode("Hello</s>", addSpecialTokens: false, parseSpecial: true));
    }

    [Fact]
    public void A_long_paragraph_merges_as_one_word_like_its_parts()
    {
        string text = string.Join(" ", Enumerable.Repeat("Hello world", 5000));
        int[] ids = Llama2.Value.Encode(text, addSpecialTokens: false);
        Assert.Equal(Enumerable.Repeat(new[] { Id("▁Hello"), Id("▁world") }, 5000).SelectMany(x => x), ids);
    }
}
