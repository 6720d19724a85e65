using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace GenCluster.Models.Text;

/// <summary>
/// Byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM): the merges run on Microsoft.ML.Tokenizers' BpeTokenizer
/// (ByteLevel on, the file's vocab and merges). Pre-tokenization is done here because BpeOptions cannot express
/// two tokenizer.json features: SmolLM's Digits pre-tokenizer and Llama 3's <c>ignore_merges</c> (a pre-token that
/// is itself in the vocabulary is taken whole). Added/special tokens are split off before text reaches this class.
/// </summary>
sealed class ByteLevelBpe
{
    static readonly char[] ByteToChar = BuildByteTable();
    static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(x => x.c, x => (byte)x.b);

    readonly BpeTokenizer bpe;
    readonly Regex split;
    readonly bool individualDigits;
    readonly Dictionary<string, int>? wholeWords;
    // Pre-tokens repeat a lot in real text; like HF tokenizers, remember their ids (bounded, thread-safe).
    readonly ConcurrentDictionary<string, int[]> cache = new();
    const int CacheLimit = 100_000;

    public ByteLevelBpe(TokenizerDefinition definition)
    {
        var options = new BpeOptions(definition.Vocab)
        {
            Merges = definition.Merges.Select(m => m.Left + " " + m.Right),
            ByteLevel = true,
        };
        bpe = BpeTokenizer.Create(options);
        split = new Regex(definition.SplitPattern ?? TokenizerDefinition.Gpt2Pattern, RegexOptions.Compiled);
        individualDigits = definition.IndividualDigits;
        wholeWords = definition.IgnoreMerges ? definition.Vocab : null;
    }

    /// <summary>Appends the ids of a plain-text segment.</summary>
    public void Encode(string segment, List<int> output)
    {
        foreach (var chunk in individualDigits ? SplitDigits(segment) : [segment])
        {
            // EnumerateMatches does not allocate a Match per pre-token (10x faster than Matches on long prompts).
            foreach (var m in split.EnumerateMatches(chunk))
                if (m.Length > 0) EncodePiece(chunk.Substring(m.Index, m.Length), output);
        }
    }

    void EncodePiece(string piece, List<int> output)
    {
        if (!cache.TryGetValue(piece, out var ids))
        {
            ids = wholeWords != null && wholeWords.TryGetValue(ToByteLevel(piece), out int id) ? [id]
                : [.. bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false)];
            if (cache.Count >= CacheLimit) cache.Clear();
            cache[piece] = ids;
        }
        output.AddRange(ids);
    }

    /// <summary>The Digits(individual_digits=true) pre-tokenizer: every ASCII digit becomes its own chunk.</summary>
    static IEnumerable<string> SplitDigits(string segment)
    {
        int start = 0;
        for (int i = 0; i < segment.Length; i++)
        {
            if (!char.IsAsciiDigit(segment[i])) continue;
            if (i > start) yield return segment[start..i];
            yield return segment[i].ToString();
            start = i + 1;
        }
        if (start < segment.Length) yield return segment[start..];
    }

    static string ToByteLevel(string text) => new(Encoding.UTF8.GetBytes(text).Select(b => ByteToChar[b]).ToArray());

    /// <summary>The UTF-8 bytes a vocabulary piece stands for (each char maps back to one byte).</summary>
    public static byte[] PieceBytes(string piece)
    {
        var bytes = new byte[piece.Length];
        for (int i = 0; i < piece.Length; i++)
        {
            if (!CharToByte.TryGetValue(piece[i], out bytes[i]))
                return Encoding.UTF8.GetBytes(piece); // not a byte-level piece (should not happen in a byte-level vocab)
        }
        return bytes;
    }

    /// <summary>GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards.</summary>
    static char[] BuildByteTable()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }
}
