using System.Text;
using System.Text.RegularExpressions;

namespace GenCluster.Training.Tokenization;

/// <summary>Encodes and decodes text with a byte-level BPE vocabulary exactly as HF tokenizers' ByteLevel + BPE pipeline does (no post-processing).</summary>
/// <remarks>Special tokens are matched first; other text is split with GPT-2's pattern, mapped to byte symbols, and in each
/// word the lowest-ranked merge is applied everywhere until none applies.</remarks>
public sealed class BpeEncoder
{
    readonly BpeVocabulary vocabulary;
    readonly Dictionary<string, int> ids;
    readonly Dictionary<(int, int), (int Rank, int Merged)> merges = [];
    readonly Dictionary<string, int[]> cache = new(StringComparer.Ordinal);
    readonly Regex specials = new(string.Join("|", SpecialTokens.All.Select(Regex.Escape)));

    /// <summary>Builds the encoder; every merge's parts and result must be in the vocabulary.</summary>
    public BpeEncoder(BpeVocabulary vocabulary)
    {
        this.vocabulary = vocabulary;
        ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < vocabulary.Count; id++) ids[vocabulary.Tokens[id]] = id;
        for (var rank = 0; rank < vocabulary.Merges.Count; rank++)
        {
            var (left, right) = vocabulary.Merges[rank];
            merges.TryAdd((Id(left), Id(right)), (rank, Id(left + right)));
        }
    }

    /// <summary>Number of tokens.</summary>
    public int VocabSize => vocabulary.Count;

    /// <summary>The id of a token given in byte-level symbol form (or a special token).</summary>
    public int Id(string token) =>
        ids.TryGetValue(token, out var id) ? id : throw new KeyNotFoundException($"token '{token}' is not in the vocabulary");

    /// <summary>Token ids of <paramref name="text"/>; special-token strings in the text become their ids.</summary>
    public List<int> Encode(string text)
    {
        var result = new List<int>();
        var start = 0;
        foreach (Match special in specials.Matches(text))
        {
            EncodeOrdinary(text[start..special.Index], result);
            result.Add(ids[special.Value]);
            start = special.Index + special.Length;
        }
        EncodeOrdinary(text[start..], result);
        return result;
    }

    /// <summary>The text of token ids (special tokens included verbatim); invalid UTF-8 becomes U+FFFD.</summary>
    public string Decode(IEnumerable<int> tokenIds)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (var id in tokenIds)
        {
            var token = vocabulary.Tokens[id];
            if (id < SpecialTokens.All.Count)
            {
                text.Append(Encoding.UTF8.GetString([.. bytes])).Append(token);
                bytes.Clear();
            }
            else ByteLevelAlphabet.Decode(token, bytes);
        }
        return text.Append(Encoding.UTF8.GetString([.. bytes])).ToString();
    }

    void EncodeOrdinary(string text, List<int> into)
    {
        foreach (var word in Gpt2PreTokenizer.Split(text))
        {
            if (!cache.TryGetValue(word, out var tokens))
                cache[word] = tokens = EncodeWord(ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(word)));
            into.AddRange(tokens);
        }
    }

    int[] EncodeWord(string symbols)
    {
        var word = symbols.Select(c => Id(c.ToString())).ToArray();
        while (word.Length > 1)
        {
            var best = (Rank: int.MaxValue, Merged: -1, Pair: new SymbolPair(-1, -1));
            for (var i = 0; i + 1 < word.Length; i++)
                if (merges.TryGetValue((word[i], word[i + 1]), out var m) && m.Rank < best.Rank)
                    best = (m.Rank, m.Merged, new SymbolPair(word[i], word[i + 1]));
            if (best.Merged < 0) break;
            word = BpeTrainer.Merge(word, best.Pair, best.Merged);
        }
        return word;
    }
}
