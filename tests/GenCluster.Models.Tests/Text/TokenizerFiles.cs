using System.Text.Json.Nodes;
using GenCluster.Models.Text;

namespace GenCluster.Models.Tests.Text;

/// <summary>Tokenizer folders for tests: the real GPT-2 files, and folders built with the structure of other families.</summary>
static class TokenizerFiles
{
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<HfTokenizer>> Loaded = new();
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string>> Written = new();

    /// <summary>Writes a constructed folder once per test run, even when test classes ask for it in parallel.</summary>
    static string Once(string name, Func<string> write) => Written.GetOrAdd(name, _ => new Lazy<string>(write)).Value;

    /// <summary>Loads a folder once per test run (building a 50k-merge tokenizer takes about a second).</summary>
    public static HfTokenizer Load(string dir) => Loaded.GetOrAdd(dir, d => new Lazy<HfTokenizer>(() => HfTokenizer.Load(d))).Value;

    /// <summary>TestData/tokenizers/gpt2 (the published GPT-2 tokenizer).</summary>
    public static string Gpt2 => Path.Combine(AppContext.BaseDirectory, "TestData", "tokenizers", "gpt2");

    /// <summary>Llama 3's pre-tokenizer regex (tokenizer.json "Split" pattern).</summary>
    public const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>GPT-2's vocabulary and merges with a Llama 3 structure: Split regex + ByteLevel, BOS added by TemplateProcessing.</summary>
    public static string Llama3Style() => Once("llama3", () => FromGpt2("llama3", json =>
    {
        json["pre_tokenizer"] = JsonNode.Parse($$"""
            {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": {{JsonValue.Create(Llama3Pattern).ToJsonString()}}}, "behavior": "Isolated", "invert": false},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
            """);
        // Llama 3 sets ignore_merges; "Ġzzqx" is a word in the vocabulary that no merge reaches.
        json["model"]!["ignore_merges"] = true;
        json["model"]!["vocab"]!["Ġzzqx"] = 50259;
        AddSpecial(json, 50257, "<|begin_of_text|>");
        AddSpecial(json, 50258, "<|eot_id|>");
        json["post_processor"] = JsonNode.Parse("""
            {"type": "Sequence", "processors": [
              {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
              {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "pair": [], "special_tokens": {}}]}
            """);
    }, """{"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}""", """{"eos_token_id": [50256, 50258]}"""));

    /// <summary>GPT-2's vocabulary with SmolLM's pre-tokenizer: digits split one by one, then ByteLevel.</summary>
    public static string SmolLmStyle() => Once("smollm", () => FromGpt2("smollm", json =>
    {
        json["pre_tokenizer"] = JsonNode.Parse("""
            {"type": "Sequence", "pretokenizers": [
              {"type": "Digits", "individual_digits": true},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]}
            """);
    }, """{"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}""", null));

    /// <summary>GPT-2's vocabulary with Qwen2's NFC normalizer and im_start/im_end special tokens.</summary>
    public static string Qwen2Style() => Once("qwen2", () => FromGpt2("qwen2", json =>
    {
        json["normalizer"] = JsonNode.Parse("""{"type": "NFC"}""");
        AddSpecial(json, 50257, "<|im_start|>");
        AddSpecial(json, 50258, "<|im_end|>");
    }, """{"bos_token": null, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}""", null));

    static void AddSpecial(JsonNode json, int id, string content) =>
        json["added_tokens"]!.AsArray().Add(JsonNode.Parse($$"""
            {"id": {{id}}, "content": "{{content}}", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
            """));

    static string FromGpt2(string name, Action<JsonNode> edit, string tokenizerConfig, string? generationConfig)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Gpt2, "tokenizer.json")))!;
        edit(json);
        string dir = Path.Combine(Path.GetTempPath(), $"gc-tok-{name}-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), tokenizerConfig);
        if (generationConfig != null) File.WriteAllText(Path.Combine(dir, "generation_config.json"), generationConfig);
        return dir;
    }

    /// <summary>
    /// A small SentencePiece-style BPE tokenizer.json with Llama 2's exact structure (Prepend/Replace normalizer,
    /// byte_fallback with &lt;0x00&gt;..&lt;0xFF&gt;, Replace/ByteFallback/Fuse/Strip decoder, BOS template) and a
    /// hand-made vocabulary: "Hello world" merges to ▁Hello ▁world; other characters fall back to bytes.
    /// </summary>
    public static string Llama2Style() => Once("llama2", WriteLlama2Style);

    static string WriteLlama2Style()
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (int b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = 3 + b;
        string[] pieces = ["▁", "H", "e", "l", "o", "w", "r", "d", "▁H", "▁He", "ll", "▁Hell", "▁Hello", "▁w", "or", "▁wor", "ld", "▁world", "世", "界", "世界"];
        foreach (var p in pieces) vocab[p] = vocab.Count;
        var merges = new JsonArray("▁ H", "▁H e", "l l", "▁He ll", "▁Hell o", "▁ w", "o r", "▁w or", "l d", "▁wor ld", "世 界");
        var json = JsonNode.Parse("""
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
               {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
             "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
             "pre_tokenizer": null,
             "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                                "pair": [], "special_tokens": {}},
             "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
                                                        {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
             "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null, "end_of_word_suffix": null,
                       "fuse_unk": true, "byte_fallback": true}}
            """)!;
        json["model"]!["vocab"] = vocab;
        json["model"]!["merges"] = merges;
        string dir = Path.Combine(Path.GetTempPath(), $"gc-tok-llama2-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"add_bos_token": true, "add_eos_token": false, "bos_token": "<s>", "eos_token": "</s>", "pad_token": null}""");
        return dir;
    }
}
