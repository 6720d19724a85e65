using System.Text;
using System.Text.Json;
using GenCluster.Grains;
using Microsoft.AspNetCore.Http;

namespace GenCluster.Gateway.OpenAi;

/// <summary>
/// Turns a session's token events into OpenAI's answer shapes: one <c>chat.completion</c> / <c>text_completion</c>
/// object, or a stream of <c>chat.completion.chunk</c> / <c>text_completion</c> server-sent events ending in
/// <c>data: [DONE]</c>. Token texts for log-probs come from the model's tokenizer (a grain call per batch of ids).
/// </summary>
internal sealed class OpenAiAnswer(OpenAiRequest request, string model, string sessionId, IModelGrain tokenizer)
{
    readonly string _id = (request.Chat ? "chatcmpl-" : "cmpl-") + sessionId;
    readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    readonly Dictionary<int, Choice> _choices = [];
    readonly Dictionary<long, TokenText> _texts = [];

    sealed class Choice
    {
        public readonly StringBuilder Text = new();
        public readonly List<TokenEvent> Tokens = [];
        public string? Finish;
        public bool RoleSent;
    }

    string Kind => request.Chat ? "chat.completion" : "text_completion";

    /// <summary>Records an event for the final (non-streamed) answer.</summary>
    public void Add(TokenEvent e)
    {
        var choice = ChoiceOf(e.Sequence);
        if (e.TokenId >= 0)
        {
            choice.Text.Append(e.TextDelta);
            choice.Tokens.Add(e);
        }
        choice.Finish = e.Finish ?? choice.Finish;
    }

    /// <summary>Writes the whole answer as one JSON object.</summary>
    public async Task WriteCompletionAsync(HttpResponse response, SessionInfo info, CancellationToken cancellation)
    {
        await ResolveTextsAsync(_choices.Values.SelectMany(c => c.Tokens));
        response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(response.Body);
        json.WriteStartObject();
        WriteHeader(json, Kind);
        json.WriteStartArray("choices");
        foreach (var (index, choice) in _choices.OrderBy(c => c.Key))
        {
            json.WriteStartObject();
            json.WriteNumber("index", index);
            if (request.Chat)
            {
                json.WriteStartObject("message");
                json.WriteString("role", "assistant");
                json.WriteString("content", choice.Text.ToString());
                json.WriteEndObject();
            }
            else json.WriteString("text", choice.Text.ToString());
            WriteLogprobs(json, choice.Tokens, textOffset: 0);
            json.WriteString("finish_reason", FinishReason(choice.Finish));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        WriteUsage(json, info);
        json.WriteEndObject();
        await json.FlushAsync(cancellation);
    }

    /// <summary>Starts a server-sent event stream: its headers go out at once, before the first token.</summary>
    public static async Task StartStreamAsync(HttpResponse response, CancellationToken cancellation)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        await response.Body.FlushAsync(cancellation);
    }

    /// <summary>Writes the chunk for one event (a chat choice's first chunk also carries the assistant role).</summary>
    public async Task WriteChunkAsync(HttpResponse response, TokenEvent e, CancellationToken cancellation)
    {
        var choice = ChoiceOf(e.Sequence);
        var tokens = e.TokenId >= 0 ? new List<TokenEvent> { e } : [];
        await ResolveTextsAsync(tokens);
        int offset = choice.Text.Length;
        if (e.TokenId >= 0) choice.Text.Append(e.TextDelta);
        await WriteEventAsync(response, json =>
        {
            WriteHeader(json, request.Chat ? "chat.completion.chunk" : "text_completion");
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", e.Sequence);
            if (request.Chat)
            {
                json.WriteStartObject("delta");
                if (!choice.RoleSent) json.WriteString("role", "assistant");
                if (e.TokenId >= 0 || !choice.RoleSent) json.WriteString("content", e.TextDelta);
                json.WriteEndObject();
                choice.RoleSent = true;
            }
            else json.WriteString("text", e.TextDelta);
            WriteLogprobs(json, tokens, offset);
            if (e.Finish is null) json.WriteNull("finish_reason");
            else json.WriteString("finish_reason", FinishReason(e.Finish));
            json.WriteEndObject();
            json.WriteEndArray();
        }, cancellation);
    }

    /// <summary>Ends a stream: the usage chunk when asked for, then <c>[DONE]</c>.</summary>
    public async Task EndStreamAsync(HttpResponse response, SessionInfo info, CancellationToken cancellation)
    {
        if (request.IncludeUsage)
            await WriteEventAsync(response, json =>
            {
                WriteHeader(json, request.Chat ? "chat.completion.chunk" : "text_completion");
                json.WriteStartArray("choices");
                json.WriteEndArray();
                WriteUsage(json, info);
            }, cancellation);
        await WriteDoneAsync(response, cancellation);
    }

    /// <summary>The stream's terminator.</summary>
    public static async Task WriteDoneAsync(HttpResponse response, CancellationToken cancellation)
    {
        await response.WriteAsync("data: [DONE]\n\n", cancellation);
        await response.Body.FlushAsync(cancellation);
    }

    /// <summary>One <c>data:</c> event holding the JSON object <paramref name="body"/> writes.</summary>
    public static async Task WriteEventAsync(HttpResponse response, Action<Utf8JsonWriter> body, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }
        await response.WriteAsync("data: ", cancellation);
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellation);
        await response.WriteAsync("\n\n", cancellation);
        await response.Body.FlushAsync(cancellation);
    }

    Choice ChoiceOf(int sequence)
    {
        if (!_choices.TryGetValue(sequence, out var choice)) _choices[sequence] = choice = new Choice();
        return choice;
    }

    void WriteHeader(Utf8JsonWriter json, string kind)
    {
        json.WriteString("id", _id);
        json.WriteString("object", kind);
        json.WriteNumber("created", _created);
        json.WriteString("model", model);
    }

    void WriteUsage(Utf8JsonWriter json, SessionInfo info)
    {
        int completion = info.Sequences.Sum(s => s.TokenIds.Length);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", info.PromptTokens);
        json.WriteNumber("completion_tokens", completion);
        json.WriteNumber("total_tokens", info.PromptTokens + completion);
        json.WriteEndObject();
    }

    // Chat: {"content": [{token, logprob, bytes, top_logprobs}]}; completions: the legacy parallel arrays.
    void WriteLogprobs(Utf8JsonWriter json, IReadOnlyList<TokenEvent> tokens, int textOffset)
    {
        if (!request.Logprobs)
        {
            json.WriteNull("logprobs");
            return;
        }
        json.WriteStartObject("logprobs");
        if (request.Chat)
        {
            json.WriteStartArray("content");
            foreach (var e in tokens)
            {
                json.WriteStartObject();
                WriteToken(json, e.TokenId, e.Logprob);
                json.WriteStartArray("top_logprobs");
                foreach (var alternative in e.TopLogprobs)
                {
                    json.WriteStartObject();
                    WriteToken(json, alternative.TokenId, alternative.Logprob);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        else
        {
            json.WriteStartArray("tokens");
            foreach (var e in tokens) json.WriteStringValue(_texts[e.TokenId].Text);
            json.WriteEndArray();
            json.WriteStartArray("token_logprobs");
            foreach (var e in tokens) json.WriteNumberValue(e.Logprob);
            json.WriteEndArray();
            json.WriteStartArray("top_logprobs");
            foreach (var e in tokens)
            {
                json.WriteStartObject();
                foreach (var alternative in e.TopLogprobs.DistinctBy(a => _texts[a.TokenId].Text))
                    json.WriteNumber(_texts[alternative.TokenId].Text, alternative.Logprob);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("text_offset");
            foreach (var e in tokens)
            {
                json.WriteNumberValue(textOffset);
                textOffset += e.TextDelta.Length;
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    void WriteToken(Utf8JsonWriter json, long tokenId, float logprob)
    {
        var text = _texts[tokenId];
        json.WriteString("token", text.Text);
        json.WriteNumber("logprob", logprob);
        json.WriteStartArray("bytes");
        foreach (var b in text.Bytes) json.WriteNumberValue(b);
        json.WriteEndArray();
    }

    /// <summary>Looks up the texts a batch's log-probs need in one tokenizer call (nothing when log-probs are off or known).</summary>
    public async Task ResolveTextsAsync(IEnumerable<TokenEvent> tokens)
    {
        if (!request.Logprobs) return;
        var missing = tokens.Where(e => e.TokenId >= 0).SelectMany(e => e.TopLogprobs.Select(a => a.TokenId).Prepend(e.TokenId)).Where(id => !_texts.ContainsKey(id)).Distinct().ToArray();
        if (missing.Length == 0) return;
        var texts = await tokenizer.TokenTexts(missing);
        for (int i = 0; i < missing.Length; i++) _texts[missing[i]] = texts[i];
    }

    // GenCluster's eos and stop both mean OpenAI's "stop"; a cancelled generation reports vLLM's "abort".
    static string? FinishReason(string? finish) => finish switch
    {
        null => null,
        "eos" or "stop" => "stop",
        "length" => "length",
        "cancelled" => "abort",
        _ => finish,
    };
}
