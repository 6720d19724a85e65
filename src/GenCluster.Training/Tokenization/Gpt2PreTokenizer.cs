using System.Text.RegularExpressions;

namespace GenCluster.Training.Tokenization;

/// <summary>Splits text into words with GPT-2's pattern, as HF's ByteLevel pre-tokenizer (use_regex=true) does.</summary>
public static partial class Gpt2PreTokenizer
{
    /// <summary>The pattern of openai/gpt-2 encoder.py and HF tokenizers' ByteLevel.</summary>
    public const string Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    [GeneratedRegex(Pattern)]
    private static partial Regex Words();

    /// <summary>The words of <paramref name="text"/> in order; concatenated they give the text back.</summary>
    public static IEnumerable<string> Split(string text)
    {
        foreach (Match m in Words().Matches(text)) yield return m.Value;
    }
}
