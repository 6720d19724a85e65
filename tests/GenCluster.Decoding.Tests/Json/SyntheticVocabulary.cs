using System.Text;

namespace GenCluster.Decoding.Tests.Json;

/// <summary>
/// A deterministic stand-in for a BPE vocabulary (the fixtures have no tokenizer): every printable ASCII character,
/// JSON punctuation runs, indentation, escapes, number pieces, keywords, some whole non-ASCII characters, the
/// unplaceable kinds a real decoded vocabulary has (null, empty, U+FFFD, lone surrogates), then word-like tokens
/// (mostly letters, some with a leading space, digits, quotes or brackets) up to the requested size. Id 0 is EOS.
/// Shared with bench/GenCluster.Bench.Json.
/// </summary>
public static class SyntheticVocabulary
{
    /// <summary>The EOS id.</summary>
    public const int Eos = 0;

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
            word.Clear();
            var roll = random.NextDouble();
            if (roll < 0.4) word.Append(' ');
            if (roll < 0.02) word.Append('"');
            int length = 1 + random.Next(1 + random.Next(11));
            for (int i = 0; i < length; i++)
            {
                var kind = random.NextDouble();
                word.Append(kind switch
                {
                    < 0.85 => (char)((i == 0 && random.NextDouble() < 0.2 ? 'A' : 'a') + random.Next(26)),
                    < 0.93 => (char)('0' + random.Next(10)),
                    < 0.96 => "\"{}[],:"[random.Next(7)],
                    _ => "-_.'!? "[random.Next(7)],
                });
            }
            var text = word.ToString();
            if (seen.Add(text)) texts.Add(text);
        }
        return texts.Take(size).ToArray();
    }
}
