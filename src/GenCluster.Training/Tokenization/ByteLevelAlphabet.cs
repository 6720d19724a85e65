namespace GenCluster.Training.Tokenization;

/// <summary>GPT-2's reversible byte-to-unicode map (openai/gpt-2 encoder.py bytes_to_unicode), used by byte-level BPE.</summary>
public static class ByteLevelAlphabet
{
    static readonly char[] ByteToChar = BuildByteToChar();
    static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    /// <summary>The printable character standing for one byte.</summary>
    public static char ToChar(byte b) => ByteToChar[b];

    /// <summary>Maps UTF-8 bytes to their printable characters.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>Maps printable characters back to the bytes they stand for.</summary>
    public static void Decode(string symbols, List<byte> into)
    {
        foreach (var c in symbols)
        {
            if (!CharToByte.TryGetValue(c, out var b))
                throw new FormatException($"'{c}' (U+{(int)c:X4}) is not a byte-level BPE symbol");
            into.Add(b);
        }
    }

    // Printable Latin-1 bytes keep their code point; the 68 others are shifted to 256 + n so no token holds
    // whitespace or control characters.
    static char[] BuildByteToChar()
    {
        var map = new char[256];
        var next = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + next++);
        }
        return map;
    }
}
