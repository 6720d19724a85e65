namespace GenCluster.Models.Text;

/// <summary>
/// Cuts text into plain segments and added-token matches (longest match first), as tokenizers does before the
/// model runs. Special tokens are matched only when asked, so user text like "&lt;|endoftext|&gt;" stays plain text.
/// </summary>
sealed class AddedTokenSplitter
{
    readonly Dictionary<char, List<AddedToken>> byFirstChar = [];

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        foreach (var token in tokens.Where(t => t.Content.Length > 0).OrderByDescending(t => t.Content.Length))
        {
            if (!byFirstChar.TryGetValue(token.Content[0], out var list)) byFirstChar[token.Content[0]] = list = [];
            list.Add(token);
        }
    }

    /// <summary>Segments in order: (text, null) for plain text, (content, token) for a matched added token.</summary>
    public IEnumerable<(string Text, AddedToken? Token)> Split(string text, bool matchSpecial)
    {
        int plainStart = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (!byFirstChar.TryGetValue(text[i], out var candidates)) continue;
            var match = candidates.FirstOrDefault(t => (matchSpecial || !t.Special) && string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) == 0);
            if (match == null) continue;
            if (i > plainStart) yield return (text[plainStart..i], null);
            yield return (match.Content, match);
            i += match.Content.Length - 1;
            plainStart = i + 1;
        }
        if (plainStart < text.Length) yield return (text[plainStart..], null);
    }
}
