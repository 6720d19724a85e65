namespace GenCluster.Decoding;

/// <summary>Turns a sequence's generated token ids into text incrementally (never splitting a UTF-8 character).</summary>
public interface ITextStream
{
    /// <summary>Adds a token; returns the text it completes (possibly empty).</summary>
    string Push(long tokenId);

    /// <summary>Text still held back (incomplete bytes) at the end of the sequence.</summary>
    string Flush();
}
