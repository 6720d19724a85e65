using GenCluster.Models.Text;

namespace GenCluster.Models.Tests.Text;

/// <summary>Encoding and decoding with the real GPT-2 tokenizer.json and Llama 3 / SmolLM-structured files.</summary>
public class HfTokenizerTests
{
    static readonly Lazy<HfTokenizer> Gpt2 = new(() => TokenizerFiles.Load(TokenizerFiles.Gpt2));
    static readonly Lazy<HfTokenizer> Llama3 = new(() => TokenizerFiles.Load(TokenizerFiles.Llama3Style()));

    [Theory]
    [InlineData("Hello world", new[] { 15496, 995 })]
    [InlineData("Hello, world!", new[] { 15496, 11, 995, 0 })]
    [InlineData("The cat", new[] { 464, 3797 })]
    public void Gpt2_encodes_known_texts(string text, int[] expected) =>
        Assert.Equal(expected, Gpt2.Value.Encode(text));

    [Fact]
    public void Gpt2_reads_special_ids_and_pieces()
    {
        var t = Gpt2.Value;
        Assert.Equal(50257, t.VocabSize);
        Assert.Equal(50256, t.BosId);
        Assert.Equal([50256], t.EosIds);
        Assert.Null(t.PadId);
        Assert.Equal(BpeFlavor.ByteLevel, t.Flavor);
        Assert.Equal("Ġworld", t.TokenPiece(995));
        Assert.Equal("<|endoftext|>", t.TokenPiece(50256));
    }

    [Theory]
    [InlineData("Hello world")]
    [InlineData("emoji 😀👍🏽 and ZWJ 👨‍👩‍👧 family")]
    [InlineData("中文字符 日本語のテキスト 한국어")]
    [InlineData("combining: e\u0301 a\u0308 n\u0303, Zalgo z\u0336\u0317")]
    [InlineData("  leading and trailing spaces  \n\ttabs\r\nand \\ backslashes {braces}")]
    [InlineData("numbers 1234567890 3.14159 -42")]
    public void Arbitrary_utf8_round_trips(string text)
    {
        foreach (var t in new[] { Gpt2.Value, Llama3.Value })
            Assert.Equal(text, t.Decode(t.Encode(text, addSpecialTokens: false)));
    }

    [Fact]
    public void Special_token_text_is_plain_text_unless_parsing_is_asked()
    {
        var t = Gpt2.Value;
        int[] plain = t.Encode("a<|endoftext|>b");
        Assert.DoesNotContain(50256, plain);
        Assert.Equal("a<|endoftext|>b", t.Decode(plain));
        int[] parsed = t.Encode("a<|endoftext|>b", parseSpecial: true);
        Assert.Equal([t.Encode("a")[0], 50256, t.Encode("b")[0]], parsed);
        Assert.Equal("ab", t.Decode(parsed, skipSpecialTokens: true));
        Assert.Equal("a<|endoftext|>b", t.Decode(parsed));
    }

    [Fact]
    public void Lone_surrogates_are_rejected_with_their_position()
    {
        var error = Assert.Throws<InvalidTextException>(() => Gpt2.Value.Encode("ok\uD83D!"));
        Assert.Contains("U+D83D at index 2", error.Message);
        Assert.Throws<InvalidTextException>(() => Gpt2.Value.Encode("\uDE00"));
    }

    [Fact]
    public void Llama3_structure_adds_bos_splits_numbers_in_threes_and_lists_eos_ids()
    {
        var t = Llama3.Value;
        Assert.Equal([50257, 15496, 995], t.Encode("Hello world"));
        Assert.Equal([15496, 995], t.Encode("Hello world", addSpecialTokens: false));
        Assert.Equal([t.IdOf("123")!.Value, t.IdOf("45")!.Value], t.Encode("12345", addSpecialTokens: false));
        Assert.Equal(50257, t.BosId);
        Assert.Equal([50256, 50258], t.EosIds);
        Assert.Equal([50257, 15496, 50258], t.Encode("<|begin_of_text|>Hello<|eot_id|>", addSpecialTokens: false, parseSpecial: true));
    }

    [Fact]
    public void Ignore_merges_takes_a_pre_token_found_in_the_vocabulary_whole()
    {
        Assert.Equal([50259], Llama3.Value.Encode(" zzqx", addSpecialTokens: false));
        Assert.True(Gpt2.Value.Encode(" zzqx").Length > 1);
        Assert.Equal(" zzqx", Llama3.Value.Decode([50259]));
    }

    [Fact]
    public void SmolLm_structure_splits_every_digit()
    {
        var t = TokenizerFiles.Load(TokenizerFiles.SmolLmStyle());
        int[] ids = t.Encode("in 2024", addSpecialTokens: false);
        Assert.Equal([t.IdOf("in")!.Value, t.IdOf("Ġ")!.Value, t.IdOf("2")!.Value, t.IdOf("0")!.Value, t.IdOf("2")!.Value, t.IdOf("4")!.Value], ids);
        Assert.Equal("in 2024", t.Decode(ids));
    }

    [Fact]
    public void Qwen2_structure_normalizes_to_nfc_before_encoding()
    {
        var t = TokenizerFiles.Load(TokenizerFiles.Qwen2Style());
        Assert.Equal(t.Encode("caf\u00e9", addSpecialTokens: false), t.Encode("cafe\u0301", addSpecialTokens: false));
        Assert.Equal("caf\u00e9", t.Decode(t.Encode("cafe\u0301", addSpecialTokens: false)));
        Assert.NotEqual(Gpt2.Value.Encode("caf\u00e9"), Gpt2.Value.Encode("cafe\u0301"));
    }

    [Fact]
    public void A_folder_without_tokenizer_json_is_reported()
    {
        var error = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(Path.GetTempPath()));
        Assert.Contains("no tokenizer.json", error.Message);
    }
}
