using System.Collections;
using System.Text.Json;
using GenCluster.Models.Text;

namespace GenCluster.Models.ChatTemplates;

/// <summary>
/// A Hugging Face chat template (the Jinja <c>chat_template</c> of tokenizer_config.json), rendered the way
/// transformers' apply_chat_template does: trim_blocks + lstrip_blocks, loop controls, raise_exception,
/// strftime_now and a tojson that keeps non-ASCII text. Parsed once, rendered many times.
/// </summary>
public sealed class ChatTemplate
{
    readonly List<Node> program;
    readonly Func<DateTime> clock;

    /// <summary>Parses <paramref name="source"/>; bos/eos of null are left undefined in the template, as transformers does.</summary>
    public ChatTemplate(string source, string? bosToken = null, string? eosToken = null, Func<DateTime>? clock = null)
    {
        Source = source;
        BosToken = bosToken;
        EosToken = eosToken;
        this.clock = clock ?? (() => DateTime.Now);
        program = TemplateParser.Parse(source);
    }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>The value of <c>bos_token</c> (null: undefined).</summary>
    public string? BosToken { get; }

    /// <summary>The value of <c>eos_token</c> (null: undefined).</summary>
    public string? EosToken { get; }

    /// <summary>Further special-token variables (unk_token, pad_token, ...), passed as transformers passes its special_tokens_map.</summary>
    public IReadOnlyDictionary<string, string> OtherSpecialTokens { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Reads a model folder's chat template: chat_template.jinja if present, else the <c>chat_template</c> of
    /// tokenizer_config.json (a string, or a list of named templates: "tool_use" when <paramref name="forTools"/>,
    /// else "default"), else chat_template.json; bos/eos and the other special tokens come from tokenizer_config.json.
    /// </summary>
    public static ChatTemplate FromTokenizerConfig(string modelDir, bool forTools = false, Func<DateTime>? clock = null)
    {
        var config = TokenizerConfigFile.Read(modelDir);
        string jinjaFile = Path.Combine(modelDir, "chat_template.jinja"), jsonFile = Path.Combine(modelDir, "chat_template.json");
        string? source = File.Exists(jinjaFile) ? File.ReadAllText(jinjaFile)
            : config.ChatTemplate(forTools)
            ?? (File.Exists(jsonFile) ? ReadTemplateJson(jsonFile) : null);
        if (source == null)
            throw new ChatTemplateException($"{modelDir} has no chat template (no chat_template.jinja, no chat_template in tokenizer_config.json or chat_template.json); pass one with --chat-template");
        return FromSource(source, modelDir, clock);
    }

    static string? ReadTemplateJson(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.TryGetProperty("chat_template", out var t) ? t.GetString() : null;
    }

    /// <summary>A template text (e.g. from --chat-template FILE) with the special tokens of a model folder's tokenizer_config.json.</summary>
    public static ChatTemplate FromSource(string source, string modelDir, Func<DateTime>? clock = null)
    {
        var config = TokenizerConfigFile.Read(modelDir);
        var others = new Dictionary<string, string>();
        foreach (var name in new[] { "unk_token", "pad_token", "sep_token", "cls_token", "mask_token" })
            if (config.TokenContent(name) is { } token) others[name] = token;
        return new ChatTemplate(source, config.TokenContent("bos_token"), config.TokenContent("eos_token"), clock) { OtherSpecialTokens = others };
    }

    /// <summary>Renders typed messages.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, JsonElement? tools = null, IDictionary<string, object?>? extra = null) =>
        RenderValues(messages.Select(m => (object?)m.ToTemplateValue()).ToList(), addGenerationPrompt, tools, extra);

    /// <summary>Renders a JSON array of message objects exactly as given (content may be null or absent, tool_calls kept).</summary>
    public string Render(JsonElement messages, bool addGenerationPrompt, JsonElement? tools = null, IDictionary<string, object?>? extra = null)
    {
        if (messages.ValueKind != JsonValueKind.Array)
            throw new ArgumentException($"messages must be a JSON array, got {messages.ValueKind}", nameof(messages));
        return RenderValues((List<object?>)PythonJson.FromJson(messages)!, addGenerationPrompt, tools, extra);
    }

    string RenderValues(List<object?> messages, bool addGenerationPrompt, JsonElement? tools, IDictionary<string, object?>? extra)
    {
        var root = new TemplateScope(null);
        root.Set("raise_exception", new Callable("raise_exception", (args, _) =>
            throw new TemplateRaisedException(args.Count > 0 ? PyValue.Str(args[0]) : "")));
        root.Set("strftime_now", new Callable("strftime_now", (args, _) => Strftime.Format(clock(), PyValue.Str(args[0]))));
        root.Set("namespace", new Callable("namespace", (args, kwargs) => MakeNamespace(args, kwargs)));
        root.Set("range", new Callable("range", (args, _) => Range(args)));
        root.Set("dict", new Callable("dict", (_, kwargs) => kwargs));
        root.Set("messages", messages);
        root.Set("tools", tools is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } t ? PythonJson.FromJson(t) : null);
        root.Set("documents", null);
        root.Set("add_generation_prompt", addGenerationPrompt);
        if (BosToken != null) root.Set("bos_token", BosToken);
        if (EosToken != null) root.Set("eos_token", EosToken);
        foreach (var (name, token) in OtherSpecialTokens) root.Set(name, token);
        foreach (var (key, value) in extra ?? new Dictionary<string, object?>()) root.Set(key, ToValue(value));
        return TemplateEvaluator.Render(program, root);
    }

    static Namespace MakeNamespace(List<object?> args, Dict kwargs)
    {
        var ns = new Namespace();
        foreach (var arg in args)
            if (arg is Dict d) foreach (var (k, v) in d) ns.Attributes[k] = v;
        foreach (var (k, v) in kwargs) ns.Attributes[k] = v;
        return ns;
    }

    static List<object?> Range(List<object?> args)
    {
        long start = args.Count > 1 ? PyValue.ToLong(args[0], "range start") : 0;
        long stop = PyValue.ToLong(args.Count > 1 ? args[1] : args[0], "range stop");
        long step = args.Count > 2 ? PyValue.ToLong(args[2], "range step") : 1;
        if (step == 0) throw new TemplateRuntimeException("range() arg 3 must not be zero");
        var result = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) result.Add(i);
        return result;
    }

    /// <summary>Converts a caller's .NET value (JsonElement, primitives, lists, dictionaries) into a template value.</summary>
    static object? ToValue(object? value) => value switch
    {
        null or string or bool or long or double => value,
        int i => (long)i,
        float f => (double)f,
        JsonElement e => PythonJson.FromJson(e),
        IDictionary<string, object?> map => map.Aggregate(new Dict(), (d, kv) => { d[kv.Key] = ToValue(kv.Value); return d; }),
        IEnumerable list => list.Cast<object?>().Select(ToValue).ToList(),
        _ => throw new ArgumentException($"unsupported template variable type {value.GetType().Name}"),
    };
}
