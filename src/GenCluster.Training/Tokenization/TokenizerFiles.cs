using System.Text.Encodings.Web;
using System.Text.Json;

namespace GenCluster.Training.Tokenization;

/// <summary>Writes a byte-level BPE vocabulary as Hugging Face tokenizer.json and tokenizer_config.json (the layout of GPT-2's and Llama's files).</summary>
public static class TokenizerFiles
{
    /// <summary>A plain chat template over the role tokens; the prompt ends with the assistant marker when add_generation_prompt is set.</summary>
    public const string ChatTemplate =
        "{{ bos_token }}{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}{% endfor %}"
        + "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

    static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes both files into <paramref name="outDir"/> (created if missing).</summary>
    public static void Write(BpeVocabulary vocabulary, string outDir, int modelMaxLength)
    {
        Directory.CreateDirectory(outDir);
        WriteJson(Path.Combine(outDir, "tokenizer.json"), w => WriteTokenizer(w, vocabulary));
        WriteJson(Path.Combine(outDir, "tokenizer_config.json"), w => WriteConfig(w, modelMaxLength));
    }

    static void WriteJson(string path, Action<Utf8JsonWriter> write)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, Indented);
        write(writer);
    }

    static void WriteTokenizer(Utf8JsonWriter w, BpeVocabulary vocabulary)
    {
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");
        w.WriteStartArray("added_tokens");
        for (var id = 0; id < SpecialTokens.All.Count; id++)
        {
            w.WriteStartObject();
            w.WriteNumber("id", id);
            WriteSpecialTokenFields(w, id);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNull("normalizer");
        WriteByteLevel(w, "pre_tokenizer", trimOffsets: true);
        WritePostProcessor(w);
        WriteByteLevel(w, "decoder", trimOffsets: true);
        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteString("continuing_subword_prefix", "");
        w.WriteString("end_of_word_suffix", "");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteBoolean("ignore_merges", false);
        w.WriteStartObject("vocab");
        for (var id = 0; id < vocabulary.Count; id++) w.WriteNumber(vocabulary.Tokens[id], id);
        w.WriteEndObject();
        // "left right" strings: byte-level symbols never contain a space, so this older form is unambiguous and read by every loader.
        w.WriteStartArray("merges");
        foreach (var (left, right) in vocabulary.Merges) w.WriteStringValue(left + " " + right);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WriteByteLevel(Utf8JsonWriter w, string name, bool trimOffsets)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", trimOffsets);
        w.WriteBoolean("use_regex", true);
        w.WriteEndObject();
    }

    // Llama-style TemplateProcessing: "<|bos|> $A" (and "<|bos|> $A <|bos|> $B" for pairs).
    static void WritePostProcessor(Utf8JsonWriter w)
    {
        var bos = SpecialTokens.Bos;
        w.WriteStartObject("post_processor");
        w.WriteString("type", "TemplateProcessing");
        w.WriteStartArray("single");
        WritePiece(w, "SpecialToken", bos, 0);
        WritePiece(w, "Sequence", "A", 0);
        w.WriteEndArray();
        w.WriteStartArray("pair");
        WritePiece(w, "SpecialToken", bos, 0);
        WritePiece(w, "Sequence", "A", 0);
        WritePiece(w, "SpecialToken", bos, 1);
        WritePiece(w, "Sequence", "B", 1);
        w.WriteEndArray();
        w.WriteStartObject("special_tokens");
        w.WriteStartObject(bos);
        w.WriteString("id", bos);
        w.WriteStartArray("ids");
        w.WriteNumberValue(SpecialTokens.Id(bos));
        w.WriteEndArray();
        w.WriteStartArray("tokens");
        w.WriteStringValue(bos);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WritePiece(Utf8JsonWriter w, string kind, string id, int typeId)
    {
        w.WriteStartObject();
        w.WriteStartObject(kind);
        w.WriteString("id", id);
        w.WriteNumber("type_id", typeId);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WriteConfig(Utf8JsonWriter w, int modelMaxLength)
    {
        w.WriteStartObject();
        w.WriteBoolean("add_bos_token", true);
        w.WriteBoolean("add_eos_token", false);
        w.WriteString("bos_token", SpecialTokens.Bos);
        w.WriteString("eos_token", SpecialTokens.Eos);
        w.WriteString("pad_token", SpecialTokens.Pad);
        w.WriteNull("unk_token");
        w.WriteBoolean("clean_up_tokenization_spaces", false);
        w.WriteNumber("model_max_length", modelMaxLength);
        w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
        w.WriteString("chat_template", ChatTemplate);
        w.WriteStartObject("added_tokens_decoder");
        for (var id = 0; id < SpecialTokens.All.Count; id++)
        {
            w.WriteStartObject(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            WriteSpecialTokenFields(w, id);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    // An AddedToken as HF serializes it; special tokens are matched verbatim (not normalized, no stripping).
    static void WriteSpecialTokenFields(Utf8JsonWriter w, int id)
    {
        w.WriteString("content", SpecialTokens.All[id]);
        w.WriteBoolean("single_word", false);
        w.WriteBoolean("lstrip", false);
        w.WriteBoolean("rstrip", false);
        w.WriteBoolean("normalized", false);
        w.WriteBoolean("special", true);
    }
}
