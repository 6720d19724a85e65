using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace GenCluster.Models.Text;

/// <summary>
/// Byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM) on Microsoft.ML.Tokenizers' BpeTokenizer: the tokenizer.json
/// split regex as its pre-tokenizer, ByteLevel on, the file's vocab and merges. Added/special tokens are split
/// off before text reaches it (see <see cref="AddedTokenSplitter"/>), and SmolLM's Digits pre-tokenizer, which
/// BpeOptions cannot express, is applied here first.
/// </summary>
sealed class ByteLevelBpe
{
    static readonly char[] ByteToChar = BuildByteTable();
    static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(x => x.c, x => (byte)x.b);

    readonly BpeTokenizer bpe;
    readonly bool individualDigits;

    public ByteLevelBpe(TokenizerDefinition definition)
    {
        var options = new BpeOptions(definition.Vocab)
        {
            Merges = definition.Merges.Select(m => m.Left + " " + m.Right),
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(new Regex(definition.SplitPattern ?? TokenizerDefinition.Gpt2Pattern, RegexOptions.Compiled), null),
        };
        bpe = BpeTokenizer.Create(options);
        individualDigits = definition.IndividualDigits;
    }

    /// <summary>Appends the ids of a plain-text segment.</summary>
    public void Encode(string segment, List<int> output)
    {
        if (!individualDigits)
        {
            output.AddRange(bpe.EncodeToIds(segment));
            return;
        }
        int start = 0;
        for (int i = 0; i <= segment.Length; i++)
        {
            if (i < segment.Length && !char.IsAsciiDigit(segment[i])) continue;
            if (i > start) output.AddRange(bpe.EncodeToIds(segment[start..i]));
            if (i < segment.Length) output.AddRange(bpe.EncodeToIds(segment[i].ToString()));
            start = i + 1;
        }
    }

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
