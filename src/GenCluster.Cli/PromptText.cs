using GenCluster.Decoding;

namespace GenCluster.Cli;

/// <summary>A model folder's tokenizer and chat template, as the CLI uses them.</summary>
internal sealed class PromptText
{
    /// <summary>The folder's text side, or null when it has no tokenizer.json.</summary>
    public static PromptText? For(string modelDir, string? chatTemplateFile)
    {
        if (!File.Exists(Path.Combine(modelDir, "tokenizer.json"))) return null;
        throw new UsageException("tokenizer.json support is not built yet: pass token ids with --input-ids");
    }

    public IReadOnlyList<long> Encode(string text) => throw new NotSupportedException();
    public IReadOnlyList<long> EncodeChat(string user, string? system) => throw new NotSupportedException();
    public ITextStream NewStream() => throw new NotSupportedException();
    public string Decode(IEnumerable<long> ids) => throw new NotSupportedException();
}
