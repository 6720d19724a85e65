using System.Text;

namespace GenCluster.Decoding.Tests.Json;

/// <summary>
/// A deterministic stand-in for a BPE vocabulary (the fixtures have no tokenizer): every printable ASCII character,
/// JSON punctuation runs, indentation, escapes, number pieces, keywords, some whole non-ASCII characters, the
/// unplaceable kinds a real decoded vocabulary has (null, empty, U+FFFD, lone surrogates), then random pieces of
/// the kinds a byte-level BPE pre-tokenizer cuts (words, digit runs, punctuation runs, whitespace runs, non-ASCII
/// words, most with an optional leading space) up to the requested size. Id 0 is EOS.
/// Shared with bench/GenCluster.Bench.Json.
/// </summary>
public static class SyntheticVocabulary
{
    /// <summary>The EOS id.</summary>
    public const int Eos = 0;

    const string Letters = "etaoinshrdlcumwfgypbvkjxqz";

    static readonly string[] Fixed =
    [
        "{\"", "\"}", "\":", "\": ", "\":\"", "\": \"", "\",", "\", \"", "\",\"", "},", "}]", "]}", "[{", "[]", "{}", "\"]", "[\"",
        "\":{\"", "\":[", "\"},{\"", "},{", "],", ", ", ",\n", "\n", "\n ", "\n  ", "\n    ", "\n\t", "  ", "    ", " {", " [", " \"",
        "\\n", "\\\"", "\\\\", "\\/", "\\t", "\\u", "\\u00", "\\ud83d", "e+", "E-", "e1", ".0", ".5", "-1", "-0", "00", "10", "123", "2024", "0.",
        "true", "false", "null", "tr", "ue", "fal", "se", "nu", "ll", "name", "id", "value", "type", "items", "tags",
        "é", "ü", "ñ", "中", "文", "😀", " café", "日本", "ß",
    ];

    /// <summary>Token texts for <paramref name="size"/> ids (id 0 is "&lt;/s&gt;", the EOS).</summary>
    public static string?[] Build(int size, int seed = 1234)
    {
        var texts = new List<string?> { "</s>", null, "", "\uFFFD", "\uD83D", "a\uDE00" };
        for (char c = ' '; c <= '~'; c++) texts.Add(c.ToString());
        texts.AddRange(Fixed);
        var seen = texts.Where(t => t is not null).ToHashSet();
        var random = new Random(seed);
        var word = new StringBuilder();
        while (texts.Count < size)
        {
            // Pieces as GPT-2's pre-tokenizer cuts text ( ?letters | ?digits | ?punctuation | whitespace), so
            // tokens mix character kinds only the way real BPE tokens do.
            word.Clear();
            var kind = random.NextDouble();
            if (kind < 0.93 && random.NextDouble() < 0.5) word.Append(' ');
            var (alphabet, length) = kind switch
            {
                < 0.72 => (Letters, 1 + random.Next(1 + random.Next(12))),
                < 0.80 => ("0123456789", 1 + random.Next(3)),
                < 0.90 => ("\"{}[],:.-_'!?()<>=/\\*#@&;", 1 + random.Next(4)),
                < 0.93 => ("éüñßàçøåæ中文日本語한국어", 1 + random.Next(3)),
                _ => (" \n\t", 1 + random.Next(8)),
            };
            for (int i = 0; i < length; i++) word.Append(alphabet[random.Next(alphabet.Length)]);
            if (alphabet == Letters && random.NextDouble() < 0.2) word[^length] = char.ToUpperInvariant(word[^length]);
            var text = word.ToString();
            if (seen.Add(text)) texts.Add(text);
        }
        return texts.Take(size).ToArray();
    }
}
