using System.Text;
using GenCluster.Models.Text;

namespace GenCluster.Decoding.Json;

/// <summary>The decoded text of every model token id, from which a <see cref="TokenVocabulary"/> is built.</summary>
public static class TokenTexts
{
    /// <summary>
    /// Text of ids 0..<paramref name="vocab"/>-1: null for special tokens and ids beyond the tokenizer; pieces of a
    /// multi-byte character decode to U+FFFD, which <see cref="TokenVocabulary"/> leaves out.
    /// </summary>
    public static string?[] Of(HfTokenizer tokenizer, int vocab) => Enumerable.Range(0, vocab).Select(id => TextOf(tokenizer, id)).ToArray();

    static string? TextOf(HfTokenizer tokenizer, int id)
    {
        if (id >= tokenizer.VocabSize || tokenizer.IsSpecial(id)) return null;
        try { return Encoding.UTF8.GetString(tokenizer.TokenBytes(id)); }
        catch (ArgumentOutOfRangeException) { return null; } // an id with no vocabulary entry (a gap in tokenizer.json)
    }
}
