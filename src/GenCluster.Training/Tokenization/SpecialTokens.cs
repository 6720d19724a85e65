namespace GenCluster.Training.Tokenization;

/// <summary>The special tokens of GenCluster's tokenizers; they take the first ids, in this order.</summary>
public static class SpecialTokens
{
    /// <summary>Beginning of sequence, prepended to every input.</summary>
    public const string Bos = "<|bos|>";
    /// <summary>End of sequence.</summary>
    public const string Eos = "<|eos|>";
    /// <summary>Padding.</summary>
    public const string Pad = "<|pad|>";
    /// <summary>Chat role marker: system message.</summary>
    public const string System = "<|system|>";
    /// <summary>Chat role marker: user message.</summary>
    public const string User = "<|user|>";
    /// <summary>Chat role marker: assistant message.</summary>
    public const string Assistant = "<|assistant|>";
    /// <summary>End of one chat message.</summary>
    public const string End = "<|end|>";

    /// <summary>All special tokens; index = token id.</summary>
    public static readonly IReadOnlyList<string> All = [Bos, Eos, Pad, System, User, Assistant, End];

    /// <summary>The id of a special token.</summary>
    public static int Id(string token)
    {
        var id = ((List<string>)[.. All]).IndexOf(token);
        return id >= 0 ? id : throw new ArgumentException($"'{token}' is not a special token", nameof(token));
    }
}
