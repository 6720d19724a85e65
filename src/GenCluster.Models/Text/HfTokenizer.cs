using System.Text;
using System.Text.Json;

namespace GenCluster.Models.Text;

/// <summary>
/// A Hugging Face tokenizer loaded from a model folder's tokenizer.json (+ tokenizer_config.json,
/// generation_config.json, config.json for bos/eos/pad): byte-level BPE or SentencePiece-style BPE with byte fallback.
/// </summary>
public sealed class HfTokenizer
{
    readonly TokenizerDefinition definition;
    readonly ByteLevelBpe? byteLevel;
    readonly SentencePieceBpe? sentencePiece;
    readonly AddedTokenSplitter splitter;
    readonly string[] pieces;
    readonly HashSet<int> specialIds;
    readonly Dictionary<int, AddedToken> addedById;
    readonly Dictionary<string, int> addedByContent;
    readonly List<int> prefixIds, suffixIds;

    HfTokenizer(TokenizerDefinition definition, TokenizerConfigFile config, string modelDir)
    {
        this.definition = definition;
        if (definition.Flavor == BpeFlavor.ByteLevel) byteLevel = new ByteLevelBpe(definition);
        else sentencePiece = new SentencePieceBpe(definition);
        splitter = new AddedTokenSplitter(definition.AddedTokens);
        VocabSize = Math.Max(definition.Vocab.Values.DefaultIfEmpty(-1).Max(), definition.AddedTokens.Select(t => t.Id).DefaultIfEmpty(-1).Max()) + 1;
        pieces = new string[VocabSize];
        foreach (var (piece, id) in definition.Vocab) pieces[id] = piece;
        foreach (var token in definition.AddedTokens) pieces[token.Id] = token.Content;
        specialIds = definition.AddedTokens.Where(t => t.Special).Select(t => t.Id).ToHashSet();
        addedById = definition.AddedTokens.GroupBy(t => t.Id).ToDictionary(g => g.Key, g => g.First());
        addedByContent = definition.AddedTokens.GroupBy(t => t.Content).ToDictionary(g => g.Key, g => g.First().Id);

        BosId = IdOf(config.TokenContent("bos_token")) ?? ConfigId(modelDir, "config.json", "bos_token_id").Cast<int?>().FirstOrDefault();
        EosIds = ConfigId(modelDir, "generation_config.json", "eos_token_id")
            .Concat(ConfigId(modelDir, "config.json", "eos_token_id"))
            .Concat(IdOf(config.TokenContent("eos_token")) is int e ? [e] : [])
            .Distinct().ToList();
        PadId = IdOf(config.TokenContent("pad_token")) ?? ConfigId(modelDir, "generation_config.json", "pad_token_id").Cast<int?>().FirstOrDefault();
        prefixIds = definition.PrefixTokens.Select(t => IdOf(t) ?? throw new TokenizerFormatException($"post-processor token '{t}' is not in the vocabulary")).ToList();
        suffixIds = definition.SuffixTokens.Select(t => IdOf(t) ?? throw new TokenizerFormatException($"post-processor token '{t}' is not in the vocabulary")).ToList();
        // transformers' add_bos_token / add_eos_token override the post-processor (LlamaTokenizerFast.update_post_processor).
        ApplyFlag(config, "add_bos_token", BosId, prefixIds);
        ApplyFlag(config, "add_eos_token", EosIds.Count > 0 ? EosIds[^1] : null, suffixIds);
    }

    /// <summary>Loads DIR/tokenizer.json and the special-token settings of the folder's configs.</summary>
    public static HfTokenizer Load(string modelDir)
    {
        string path = Path.Combine(modelDir, "tokenizer.json");
        if (!File.Exists(path)) throw new TokenizerFormatException($"{modelDir} has no tokenizer.json");
        return new HfTokenizer(TokenizerDefinition.Read(path), TokenizerConfigFile.Read(modelDir), modelDir);
    }

    /// <summary>Number of ids (vocabulary plus added tokens).</summary>
    public int VocabSize { get; }

    /// <summary>Beginning-of-sequence id, if the model has one.</summary>
    public int? BosId { get; }

    /// <summary>Every id that ends generation (generation_config.json may list several).</summary>
    public IReadOnlyList<int> EosIds { get; }

    /// <summary>Padding id, if any.</summary>
    public int? PadId { get; }

    /// <summary>Byte-level or SentencePiece-style.</summary>
    public BpeFlavor Flavor => definition.Flavor;

    /// <summary>
    /// Encodes text. <paramref name="addSpecialTokens"/> adds the post-processor's tokens (e.g. BOS);
    /// <paramref name="parseSpecial"/> lets special-token text (e.g. "&lt;|im_start|&gt;") map to its id, as for rendered chat templates.
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens = true, bool parseSpecial = false)
    {
        ValidateUtf16(text);
        var ids = new List<int>();
        if (addSpecialTokens) ids.AddRange(prefixIds);
        int offset = 0;
        foreach (var (segment, token) in splitter.Split(text, parseSpecial))
        {
            bool atStart = offset == 0;
            offset += segment.Length;
            if (token != null)
            {
                ids.Add(token.Id);
                continue;
            }
            string plain = definition.Normalization is { } form ? segment.Normalize(form) : segment;
            if (byteLevel != null) byteLevel.Encode(definition.AddPrefixSpace && !plain.StartsWith(' ') ? " " + plain : plain, ids);
            // Metaspace prepend_scheme "first" adds '▁' only to text at offset 0 of the input (tokenizers' rule).
            else sentencePiece!.Encode(plain, definition.PrependScheme == "always" || (definition.PrependScheme == "first" && atStart), ids);
        }
        if (addSpecialTokens) ids.AddRange(suffixIds);
        return [.. ids];
    }

    /// <summary>Decodes ids to text (invalid UTF-8 becomes U+FFFD, as in transformers).</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>();
        foreach (int id in ids)
            if (!(skipSpecialTokens && IsSpecial(id))) bytes.AddRange(TokenBytes(id));
        return StripLeading(Encoding.UTF8.GetString(bytes.ToArray()), definition.DecoderStripLeading);
    }

    /// <summary>A streaming decoder that yields text deltas without splitting UTF-8 characters.</summary>
    public IncrementalDetokenizer CreateDetokenizer(bool skipSpecialTokens = true) => new(this, skipSpecialTokens, definition.DecoderStripLeading);

    /// <summary>The vocabulary string of an id (e.g. "Ġworld", "▁Hello", "&lt;0x0A&gt;"), for display.</summary>
    public string TokenPiece(int id) => id >= 0 && id < pieces.Length && pieces[id] != null ? pieces[id]
        : throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary (size {VocabSize})");

    /// <summary>The id of a vocabulary string or added token, or null.</summary>
    public int? IdOf(string? piece) => piece == null ? null
        : addedByContent.TryGetValue(piece, out int added) ? added
        : definition.Vocab.TryGetValue(piece, out int id) ? id : null;

    /// <summary>True for special added tokens (BOS, EOS, chat markers).</summary>
    public bool IsSpecial(int id) => specialIds.Contains(id);

    /// <summary>The raw bytes one token contributes to the decoded text (added tokens: their text).</summary>
    public byte[] TokenBytes(int id)
    {
        string piece = TokenPiece(id);
        if (addedById.ContainsKey(id)) return Encoding.UTF8.GetBytes(piece);
        return byteLevel != null ? ByteLevelBpe.PieceBytes(piece) : SentencePieceBpe.PieceBytes(piece);
    }

    internal static string StripLeading(string text, int count)
    {
        int n = 0;
        while (n < count && n < text.Length && text[n] == ' ') n++;
        return text[n..];
    }

    static void ValidateUtf16(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(text[i]))
                throw new InvalidTextException($"text contains an unpaired UTF-16 surrogate U+{(int)text[i]:X4} at index {i}; it has no UTF-8 encoding");
        }
    }

    void ApplyFlag(TokenizerConfigFile config, string flag, int? id, List<int> ids)
    {
        if (id is not int token || !config.Root.TryGetProperty(flag, out var v) || v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return;
        if (v.GetBoolean() && !ids.Contains(token)) ids.Insert(flag == "add_bos_token" ? 0 : ids.Count, token);
        if (!v.GetBoolean()) ids.Remove(token);
    }

    /// <summary>An integer or list-of-integers field of a JSON config in the folder (absent file or field: none).</summary>
    static IEnumerable<int> ConfigId(string modelDir, string file, string field)
    {
        string path = Path.Combine(modelDir, file);
        if (!File.Exists(path)) return [];
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        if (!doc.RootElement.TryGetProperty(field, out var v)) return [];
        return v.ValueKind switch
        {
            JsonValueKind.Number => [v.GetInt32()],
            JsonValueKind.Array => v.EnumerateArray().Select(x => x.GetInt32()).ToList(),
            _ => [],
        };
    }
}
