using System.Text.Json;
using GenCluster.Gateway.V1;
using GenCluster.Grains;

namespace GenCluster.Gateway.OpenAi;

/// <summary>
/// An OpenAI-style request (POST /v1/completions or /v1/chat/completions) read into the gateway's
/// <see cref="GenerateRequest"/>, so that the OpenAI API and gRPC share one translation to the cluster.
/// Field names and defaults follow the OpenAI API reference (temperature 1, top_p 1, completions max_tokens 16),
/// plus vLLM's extra sampling fields (top_k, min_p, repetition_penalty, min_tokens, stop_token_ids).
/// </summary>
public sealed record OpenAiRequest
{
    /// <summary>The request in the gateway's form.</summary>
    public required GenerateRequest Generate { get; init; }

    /// <summary>Chat completions (messages) rather than text completions (prompt).</summary>
    public bool Chat { get; init; }

    /// <summary>Answer as server-sent events.</summary>
    public bool Stream { get; init; }

    /// <summary>stream_options.include_usage: a last chunk with token counts.</summary>
    public bool IncludeUsage { get; init; }

    /// <summary>Log-probs of the chosen tokens were asked for.</summary>
    public bool Logprobs { get; init; }

    /// <summary>max_tokens (or max_completion_tokens) was given; otherwise chat fills the context window, completions take 16.</summary>
    public bool MaxTokensGiven { get; init; }

    /// <summary>The most log-probs per position OpenAI accepts.</summary>
    public const int MaxTopLogprobs = 20;

    /// <summary>Reads a request body; throws <see cref="InvalidRequestException"/> naming the field at fault.</summary>
    public static OpenAiRequest Parse(JsonElement body, bool chat)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new InvalidRequestException("body", "the request body must be a JSON object");
        var fields = new JsonFields(body);
        RefuseUnsupported(fields, chat);
        var generate = new GenerateRequest { Model = fields.String("model") ?? "", CancelOnDisconnect = true };
        if (chat) generate.Messages = Messages(fields.Required("messages"));
        else SetPrompt(generate, fields.Required("prompt"));

        var sampling = new SamplingParameters();
        double temperature = fields.Number("temperature", 0, 2) ?? 1.0;
        sampling.DoSample = temperature > 0;
        if (temperature > 0) sampling.Temperature = temperature;
        if (fields.Number("top_p", double.Epsilon, 1) is { } topP) sampling.TopP = topP;
        if (fields.Integer("top_k", -1, int.MaxValue) is { } topK and > 0) sampling.TopK = (int)topK;
        if (fields.Number("min_p", 0, 1) is { } minP) sampling.MinP = minP;
        if (fields.Number("repetition_penalty", double.Epsilon, double.MaxValue) is { } repetition) sampling.RepetitionPenalty = repetition;
        if (fields.Number("presence_penalty", -2, 2) is { } presence) sampling.PresencePenalty = presence;
        if (fields.Number("frequency_penalty", -2, 2) is { } frequency) sampling.FrequencyPenalty = frequency;
        if (fields.Integer("n", 1, 128) is { } n) sampling.N = (int)n;
        if (fields.Integer("seed", long.MinValue, long.MaxValue) is { } seed) sampling.Seed = unchecked((ulong)seed);
        if (fields.Integer("min_tokens", 0, int.MaxValue) is { } minTokens) sampling.MinNewTokens = (int)minTokens;
        var maxTokens = fields.Integer("max_completion_tokens", 1, int.MaxValue) ?? fields.Integer("max_tokens", 1, int.MaxValue);
        if (maxTokens is { } max) sampling.MaxNewTokens = (int)max;
        else if (!chat) sampling.MaxNewTokens = 16;
        sampling.Stop.AddRange(fields.Strings("stop", maxCount: 4));
        sampling.StopTokenIds.AddRange(fields.Integers("stop_token_ids"));
        foreach (var (token, bias) in fields.LogitBias()) sampling.LogitBias[token] = bias;

        bool logprobs;
        if (chat)
        {
            logprobs = fields.Bool("logprobs") ?? false;
            if (fields.Integer("top_logprobs", 0, MaxTopLogprobs) is { } top)
            {
                if (!logprobs) throw new InvalidRequestException("top_logprobs", "top_logprobs needs logprobs set to true");
                sampling.TopLogprobs = (int)top;
            }
        }
        else
        {
            var top = fields.Integer("logprobs", 0, MaxTopLogprobs);
            logprobs = top is not null;
            if (top is { } k) sampling.TopLogprobs = (int)k;
        }
        generate.Sampling = sampling;

        var options = fields.Object("stream_options");
        bool stream = fields.Bool("stream") ?? false;
        bool usage = options is { } o && new JsonFields(o, "stream_options.").Bool("include_usage") == true;
        if (options is not null && !stream) throw new InvalidRequestException("stream_options", "stream_options is only allowed with stream: true");
        return new OpenAiRequest { Generate = generate, Chat = chat, Stream = stream, IncludeUsage = usage, Logprobs = logprobs, MaxTokensGiven = maxTokens is not null };
    }

    // Fields whose meaning GenCluster does not implement are refused, never silently ignored.
    static void RefuseUnsupported(JsonFields fields, bool chat)
    {
        if (fields.Integer("best_of", 1, int.MaxValue) is > 1) throw new InvalidRequestException("best_of", "best_of > 1 is not supported: use n for several completions");
        if (fields.Bool("echo") == true) throw new InvalidRequestException("echo", "echo is not supported");
        if (fields.Has("suffix")) throw new InvalidRequestException("suffix", "suffix (insertion) is not supported");
        foreach (var name in new[] { "tools", "functions", "tool_choice", "function_call" })
            if (fields.Has(name)) throw new InvalidRequestException(name, $"{name}: tool calling is not supported");
        if (fields.Object("response_format") is { } format && new JsonFields(format, "response_format.").String("type") is { } type && type != "text")
            throw new InvalidRequestException("response_format", $"response_format type '{type}' is not supported by the HTTP API; use the gRPC API's JSON-schema method");
        if (!chat && fields.Has("messages")) throw new InvalidRequestException("messages", "messages belongs to /v1/chat/completions; /v1/completions takes prompt");
        if (chat && fields.Has("prompt")) throw new InvalidRequestException("prompt", "prompt belongs to /v1/completions; /v1/chat/completions takes messages");
    }

    static void SetPrompt(GenerateRequest generate, JsonElement prompt)
    {
        switch (prompt.ValueKind)
        {
            case JsonValueKind.String:
                generate.Prompt = prompt.GetString();
                return;
            case JsonValueKind.Array when prompt.GetArrayLength() == 1 && prompt[0].ValueKind == JsonValueKind.String:
                generate.Prompt = prompt[0].GetString();
                return;
            case JsonValueKind.Array when prompt.GetArrayLength() > 0 && prompt.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number):
                generate.InputIds = new TokenIds();
                foreach (var id in prompt.EnumerateArray())
                    generate.InputIds.Ids.Add(id.TryGetInt64(out var v) && v >= 0 ? v : throw new InvalidRequestException("prompt", $"prompt token ids must be non-negative integers, got {id}"));
                return;
            case JsonValueKind.Array when prompt.GetArrayLength() > 1:
                throw new InvalidRequestException("prompt", "a batch of prompts is not supported: send one request per prompt (use n for several completions)");
            default:
                throw new InvalidRequestException("prompt", "prompt must be a string, a one-string array or an array of token ids");
        }
    }

    static ChatMessages Messages(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            throw new InvalidRequestException("messages", "messages must be a non-empty array of {role, content}");
        var result = new ChatMessages();
        int i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var fields = new JsonFields(message, $"messages[{i}].");
            var role = fields.String("role") ?? throw new InvalidRequestException($"messages[{i}].role", $"messages[{i}].role is required");
            result.Messages.Add(new ChatMessage { Role = role, Content = Content(fields.Required("content"), i) });
            i++;
        }
        return result;
    }

    // Content is a string or an array of parts; only text parts are understood.
    static string Content(JsonElement content, int index)
    {
        if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind != JsonValueKind.Array) throw new InvalidRequestException($"messages[{index}].content", $"messages[{index}].content must be a string or an array of text parts");
        var text = new System.Text.StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            var fields = new JsonFields(part, $"messages[{index}].content.");
            if (fields.String("type") != "text")
                throw new InvalidRequestException($"messages[{index}].content", $"messages[{index}].content: only text parts are supported, got type '{fields.String("type")}'");
            text.Append(fields.String("text"));
        }
        return text.ToString();
    }
}
