using System.Text;
using System.Text.Json;

namespace GenCluster.Models.Text;

/// <summary>How a tokenizer.json's BPE model sees text before merging.</summary>
public enum BpeFlavor
{
    /// <summary>GPT-2 style: regex pre-split, UTF-8 bytes mapped to printable characters (GPT-2, Llama 3, Qwen2, SmolLM).</summary>
    ByteLevel,

    /// <summary>SentencePiece style: spaces become '▁', unknown characters fall back to &lt;0xNN&gt; byte tokens (Llama 2, Mistral, TinyLlama).</summary>
    SentencePiece,
}

/// <summary>The parts of a Hugging Face tokenizer.json that encoding and decoding need, read once.</summary>
public sealed class TokenizerDefinition
{
    /// <summary>Token string to id, as in model.vocab.</summary>
    public required Dictionary<string, int> Vocab { get; init; }

    /// <summary>Merge rules in rank order.</summary>
    public required List<(string Left, string Right)> Merges { get; init; }

    /// <summary>added_tokens, including special ones.</summary>
    public required List<AddedToken> AddedTokens { get; init; }

    /// <summary>Byte-level or SentencePiece-style BPE.</summary>
    public required BpeFlavor Flavor { get; init; }

    /// <summary>Byte-level: the pre-tokenizer split pattern (the Split regex, or GPT-2's).</summary>
    public string? SplitPattern { get; init; }

    /// <summary>Byte-level: split digits into single characters first (SmolLM's Digits pre-tokenizer).</summary>
    public bool IndividualDigits { get; init; }

    /// <summary>Unicode normalization of plain text before the model (tokenizer.json NFC/NFD/NFKC/NFKD normalizer; Qwen2 uses NFC).</summary>
    public NormalizationForm? Normalization { get; init; }

    /// <summary>Byte-level: prepend a space to each plain segment that does not start with one (ByteLevel add_prefix_space).</summary>
    public bool AddPrefixSpace { get; init; }

    /// <summary>Byte-level: a pre-token found whole in the vocabulary skips the merges (model.ignore_merges, Llama 3).</summary>
    public bool IgnoreMerges { get; init; }

    /// <summary>SentencePiece: prepend '▁' to "first" segment only, "always" (every segment), or "never".</summary>
    public string PrependScheme { get; init; } = "always";

    /// <summary>SentencePiece: the decoder strips this many leading spaces (Strip decoder, start=1 for Llama 2).</summary>
    public int DecoderStripLeading { get; init; }

    /// <summary>Token texts the post-processor puts before/after a single sequence (TemplateProcessing), e.g. ["&lt;s&gt;"], [].</summary>
    public List<string> PrefixTokens { get; init; } = [];

    /// <summary>Token texts the post-processor appends to a single sequence.</summary>
    public List<string> SuffixTokens { get; init; } = [];

    /// <summary>The unknown token, when the model has one.</summary>
    public string? UnknownToken { get; init; }

    /// <summary>GPT-2's pre-tokenizer pattern (used by ByteLevel with use_regex=true).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Parses tokenizer.json.</summary>
    public static TokenizerDefinition Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var model = root.GetProperty("model");
        string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "BPE";
        if (type != "BPE")
            throw new TokenizerFormatException($"{path}: model type '{type}' is not supported (only BPE: byte-level or SentencePiece-style)");
        var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        var merges = model.GetProperty("merges").EnumerateArray().Select(ParseMerge).ToList();
        var added = root.TryGetProperty("added_tokens", out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().Select(e => new AddedToken(e.GetProperty("id").GetInt32(), e.GetProperty("content").GetString()!,
                e.TryGetProperty("special", out var s) && s.GetBoolean())).ToList()
            : [];
        var preTokenizers = Flatten(root, "pre_tokenizer", "pretokenizers");
        var normalizers = Flatten(root, "normalizer", "normalizers");
        var decoders = Flatten(root, "decoder", "decoders");
        bool byteLevel = preTokenizers.Any(p => Type(p) == "ByteLevel") || decoders.Any(d => Type(d) == "ByteLevel");
        var split = preTokenizers.FirstOrDefault(p => Type(p) == "Split");
        string? pattern = split.ValueKind == JsonValueKind.Object && split.GetProperty("pattern").TryGetProperty("Regex", out var rx) ? rx.GetString()
            : byteLevel ? Gpt2Pattern : null;
        var metaspace = preTokenizers.FirstOrDefault(p => Type(p) == "Metaspace");
        string prepend = metaspace.ValueKind == JsonValueKind.Object
            ? metaspace.TryGetProperty("prepend_scheme", out var ps) ? ps.GetString() ?? "always" : "always"
            : normalizers.Any(n => Type(n) == "Prepend") ? "always" : "never";
        var strip = decoders.FirstOrDefault(d => Type(d) == "Strip");
        var (prefix, suffix) = ReadTemplate(root);
        return new TokenizerDefinition
        {
            Vocab = vocab,
            Merges = merges,
            AddedTokens = added,
            Flavor = byteLevel ? BpeFlavor.ByteLevel : BpeFlavor.SentencePiece,
            SplitPattern = pattern,
            Normalization = normalizers.Select(n => Type(n) switch
            {
                "NFC" => NormalizationForm.FormC,
                "NFD" => NormalizationForm.FormD,
                "NFKC" => NormalizationForm.FormKC,
                "NFKD" => NormalizationForm.FormKD,
                _ => (NormalizationForm?)null,
            }).FirstOrDefault(f => f != null),
            AddPrefixSpace = preTokenizers.Any(p => Type(p) == "ByteLevel" && p.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True),
            IgnoreMerges = model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True,
            IndividualDigits = preTokenizers.Any(p => Type(p) == "Digits" && p.TryGetProperty("individual_digits", out var d) && d.GetBoolean()),
            PrependScheme = prepend,
            DecoderStripLeading = strip.ValueKind == JsonValueKind.Object && strip.TryGetProperty("start", out var st) ? st.GetInt32() : 0,
            PrefixTokens = prefix,
            SuffixTokens = suffix,
            UnknownToken = model.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null,
        };
    }

    static (string, string) ParseMerge(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => (e[0].GetString()!, e[1].GetString()!),
        _ => e.GetString()!.Split(' ', 2) is [var l, var r] ? (l, r) : throw new TokenizerFormatException($"bad merge rule '{e.GetString()}'"),
    };

    static string? Type(JsonElement e) => e.TryGetProperty("type", out var t) ? t.GetString() : null;

    /// <summary>A component and, for a Sequence, its members (recursively).</summary>
    static List<JsonElement> Flatten(JsonElement root, string field, string listField)
    {
        var result = new List<JsonElement>();
        void Visit(JsonElement e)
        {
            if (e.ValueKind != JsonValueKind.Object) return;
            result.Add(e);
            if (e.TryGetProperty(listField, out var list) && list.ValueKind == JsonValueKind.Array)
                foreach (var inner in list.EnumerateArray()) Visit(inner);
        }
        if (root.TryGetProperty(field, out var value)) Visit(value);
        return result;
    }

    /// <summary>TemplateProcessing "single": the special tokens before and after "$A".</summary>
    static (List<string>, List<string>) ReadTemplate(JsonElement root)
    {
        List<string> prefix = [], suffix = [];
        var template = Flatten(root, "post_processor", "processors").FirstOrDefault(p => Type(p) == "TemplateProcessing");
        if (template.ValueKind != JsonValueKind.Object) return (prefix, suffix);
        bool afterSequence = false;
        foreach (var piece in template.GetProperty("single").EnumerateArray())
        {
            if (piece.TryGetProperty("Sequence", out _)) afterSequence = true;
            else if (piece.TryGetProperty("SpecialToken", out var s)) (afterSequence ? suffix : prefix).Add(s.GetProperty("id").GetString()!);
        }
        return (prefix, suffix);
    }
}
