using System.Text;
using GenCluster.Models.Text;

namespace GenCluster.Models.Tests.Text;

/// <summary>Streaming deltas never split a UTF-8 character and add up to the full decode for every prefix.</summary>
public class IncrementalDetokenizerTests
{
    const string Mixed = "Hi 世界😀 👨‍👩‍👧 e\u0301 Hello world 한국어!";

    /// <summary>
    /// What a stream may have emitted after a prefix: its full decode minus the U+FFFD that an unfinished
    /// trailing character decodes to (the test text itself contains no U+FFFD).
    /// </summary>
    static string CompletePrefix(HfTokenizer t, int[] prefix) => t.Decode(prefix, skipSpecialTokens: true).TrimEnd('\uFFFD');

    public static IEnumerable<object[]> Tokenizers() =>
    [
        [TokenizerFiles.Gpt2],
        [TokenizerFiles.Llama2Style()],
    ];

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void Deltas_add_up_to_the_decode_of_every_prefix(string dir)
    {
        var t = TokenizerFiles.Load(dir);
        int[] ids = t.Encode(Mixed);
        var stream = t.CreateDetokenizer();
        var text = new StringBuilder();
        for (int n = 1; n <= ids.Length; n++)
        {
            string delta = stream.Push(ids[n - 1]);
            Assert.DoesNotContain('\uFFFD', delta);
            Assert.False(delta.Length > 0 && char.IsHighSurrogate(delta[^1]), "delta ends inside a surrogate pair");
            text.Append(delta);
            Assert.Equal(CompletePrefix(t, ids[..n]), text.ToString());
        }
        text.Append(stream.Flush());
        Assert.Equal(t.Decode(ids, skipSpecialTokens: true), text.ToString());
        Assert.Equal(Mixed, text.ToString());
    }

    [Fact]
    public void Byte_fallback_tokens_of_one_emoji_emit_nothing_until_the_last_byte()
    {
        var t = TokenizerFiles.Load(TokenizerFiles.Llama2Style());
        var stream = t.CreateDetokenizer();
        Assert.Equal("", stream.Push(t.IdOf("<0xF0>")!.Value));
        Assert.Equal("", stream.Push(t.IdOf("<0x9F>")!.Value));
        Assert.Equal("", stream.Push(t.IdOf("<0x98>")!.Value));
        Assert.Equal("😀", stream.Push(t.IdOf("<0x80>")!.Value));
    }

    [Fact]
    public void Flush_turns_an_unfinished_character_into_a_replacement_character()
    {
        var t = TokenizerFiles.Load(TokenizerFiles.Llama2Style());
        var stream = t.CreateDetokenizer();
        Assert.Equal("", stream.Push(t.IdOf("<0xE4>")!.Value));
        Assert.Equal("\uFFFD", stream.Flush());
        Assert.Equal(t.Decode([t.IdOf("<0xE4>")!.Value]), stream.Text);
    }
}
