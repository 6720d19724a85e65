using System.Text.RegularExpressions;

namespace GenCluster.Decoding.Cot;

/// <summary>
/// Finds the answer in a decoded branch and the tokens that produced it: the last match of a regex (its "answer"
/// group, else its first group, else the whole match), mapped back to tokens through each token's decoded text.
/// </summary>
public static class AnswerSpan
{
    /// <summary>The default pattern: a number (optional sign, decimals and thousands separators).</summary>
    public const string LastNumber = @"-?\d+(?:[.,]\d+)*";

    /// <summary>Compiles a pattern, or throws <see cref="ArgumentException"/> saying what is wrong with it.</summary>
    public static Regex Compile(string pattern)
    {
        try { return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
        catch (ArgumentException e) { throw new ArgumentException($"cot_answer_regex is not a valid regular expression: {e.Message}"); }
    }

    /// <summary>The answer's character range and text in <paramref name="text"/>, or null when nothing matches.</summary>
    public static (int Start, int End, string Value)? Find(Regex pattern, string text)
    {
        var match = pattern.Matches(text).LastOrDefault();
        if (match is null) return null;
        var group = match.Groups["answer"] is { Success: true } named ? named : match.Groups.Count > 1 && match.Groups[1].Success ? match.Groups[1] : match;
        return (group.Index, group.Index + group.Length, group.Value);
    }

    /// <summary>
    /// Indices of the tokens whose text overlaps [start, end). <paramref name="pieces"/> is the text each token's push
    /// produced; a token that produced none (bytes of a character completed later) belongs with the next token that does.
    /// </summary>
    public static IReadOnlyList<int> Tokens(IReadOnlyList<string> pieces, int start, int end)
    {
        var result = new List<int>();
        var pending = new List<int>();
        int offset = 0;
        for (int i = 0; i < pieces.Count; i++)
        {
            pending.Add(i);
            if (pieces[i].Length == 0) continue;
            int from = offset;
            offset += pieces[i].Length;
            if (from < end && offset > start) result.AddRange(pending);
            pending.Clear();
        }
        return result;
    }
}
