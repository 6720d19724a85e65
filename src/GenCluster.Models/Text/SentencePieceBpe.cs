using System.Globalization;
using System.Text;

namespace GenCluster.Models.Text;

/// <summary>
/// SentencePiece-style BPE from tokenizer.json (Llama 2, Mistral, TinyLlama): spaces become '▁', a '▁' is
/// prepended, characters missing from the vocab fall back to &lt;0xNN&gt; byte tokens, then merges apply by rank.
/// Written here because Microsoft.ML.Tokenizers' BpeTokenizer has no byte fallback and its SentencePieceTokenizer
/// reads only the sentencepiece .model protobuf, not tokenizer.json.
/// </summary>
sealed class SentencePieceBpe
{
    const char Space = '\u2581';
    readonly Dictionary<string, int> vocab;
    readonly Dictionary<(string, string), int> ranks = [];
    readonly int? unknownId;

    public SentencePieceBpe(TokenizerDefinition definition)
    {
        vocab = definition.Vocab;
        for (int i = 0; i < definition.Merges.Count; i++) ranks.TryAdd(definition.Merges[i], i);
        unknownId = definition.UnknownToken != null && vocab.TryGetValue(definition.UnknownToken, out int u) ? u : null;
    }

    /// <summary>Appends the ids of a plain-text segment; <paramref name="prependSpace"/> adds the leading '▁'.</summary>
    public void Encode(string segment, bool prependSpace, List<int> output)
    {
        if (segment.Length == 0) return;
        string text = (prependSpace ? Space.ToString() : "") + segment.Replace(' ', Space);
        var symbols = new List<string>();
        for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
        {
            string ch = char.IsSurrogatePair(text, i) ? text.Substring(i, 2) : text[i].ToString();
            if (vocab.ContainsKey(ch)) symbols.Add(ch);
            else foreach (byte b in Encoding.UTF8.GetBytes(ch)) symbols.Add($"<0x{b:X2}>");
        }
        Merge(symbols);
        foreach (var s in symbols)
        {
            if (vocab.TryGetValue(s, out int id)) output.Add(id);
            else if (unknownId is int unk) output.Add(unk);
            else throw new TokenizerFormatException($"'{s}' is not in the vocabulary and the tokenizer has no byte fallback or unk token");
        }
    }

    /// <summary>
    /// Applies merges lowest rank first (leftmost on ties), as HF's BPE does, with a priority queue over a linked
    /// list of symbols so a whole paragraph (SentencePiece treats it as one word) merges in O(n log n).
    /// </summary>
    void Merge(List<string> symbols)
    {
        int n = symbols.Count;
        var next = Enumerable.Range(1, n).Select(i => i < n ? i : -1).ToArray();
        var prev = Enumerable.Range(-1, n).ToArray();
        var queue = new PriorityQueue<(int Left, string A, string B), (int Rank, int Left)>();
        void Offer(int left)
        {
            if (left < 0 || next[left] < 0) return;
            var pair = (symbols[left], symbols[next[left]]);
            if (ranks.TryGetValue(pair, out int rank)) queue.Enqueue((left, pair.Item1, pair.Item2), (rank, left));
        }
        for (int i = 0; i < n - 1; i++) Offer(i);
        while (queue.TryDequeue(out var item, out _))
        {
            int left = item.Left, right = next[left];
            // Skip entries made stale by an earlier merge of either side.
            if (symbols[left] != item.A || right < 0 || symbols[right] != item.B) continue;
            symbols[left] = item.A + item.B;
            symbols[right] = "";
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            Offer(prev[left]);
            Offer(left);
        }
        symbols.RemoveAll(s => s.Length == 0);
    }

    /// <summary>The UTF-8 bytes a piece stands for: &lt;0xNN&gt; is one raw byte, '▁' is a space.</summary>
    public static byte[] PieceBytes(string piece)
    {
        if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
            return [b];
        return Encoding.UTF8.GetBytes(piece.Replace(Space, ' '));
    }
}
