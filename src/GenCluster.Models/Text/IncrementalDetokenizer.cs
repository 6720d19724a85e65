using System.Text;

namespace GenCluster.Models.Text;

/// <summary>
/// Streaming detokenization: each pushed token yields the text it completes. Bytes of a UTF-8 character split
/// across tokens (byte-level pieces, &lt;0xNN&gt; fallback tokens) are held back until the character is complete,
/// so the concatenated deltas plus <see cref="Flush"/> equal <see cref="HfTokenizer.Decode"/> of all tokens.
/// </summary>
public sealed class IncrementalDetokenizer
{
    readonly HfTokenizer tokenizer;
    readonly bool skipSpecialTokens;
    readonly List<byte> pending = [];
    readonly StringBuilder emitted = new();
    int leadingSpacesToStrip;

    internal IncrementalDetokenizer(HfTokenizer tokenizer, bool skipSpecialTokens, int stripLeading)
    {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
        leadingSpacesToStrip = stripLeading;
    }

    /// <summary>All text emitted so far.</summary>
    public string Text => emitted.ToString();

    /// <summary>Adds a token; returns the newly complete text (possibly empty).</summary>
    public string Push(int id)
    {
        if (!(skipSpecialTokens && tokenizer.IsSpecial(id))) pending.AddRange(tokenizer.TokenBytes(id));
        return Emit(pending.Count - IncompleteTailLength());
    }

    /// <summary>Emits whatever is held back (an unfinished character becomes U+FFFD), e.g. at end of generation.</summary>
    public string Flush() => Emit(pending.Count);

    string Emit(int count)
    {
        if (count == 0) return "";
        string text = Encoding.UTF8.GetString(pending.GetRange(0, count).ToArray());
        pending.RemoveRange(0, count);
        if (leadingSpacesToStrip > 0)
        {
            // The Strip decoder (Llama 2) removes leading spaces of the whole text only.
            string stripped = HfTokenizer.StripLeading(text, leadingSpacesToStrip);
            leadingSpacesToStrip = stripped.Length == 0 ? leadingSpacesToStrip - text.Length : 0;
            text = stripped;
        }
        emitted.Append(text);
        return text;
    }

    /// <summary>Bytes at the end that start a UTF-8 sequence still missing continuation bytes.</summary>
    int IncompleteTailLength()
    {
        for (int back = 1; back <= Math.Min(3, pending.Count); back++)
        {
            byte b = pending[^back];
            if ((b & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead
            int needed = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 1;
            return needed > back ? back : 0;
        }
        return 0;
    }
}
