using System.Runtime.CompilerServices;
using GenCluster.Gateway.V1;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using WireChatMessage = GenCluster.Gateway.V1.ChatMessage;

namespace GenCluster.Client;

/// <summary>
/// The gateway as a Microsoft.Extensions.AI <see cref="IChatClient"/>: messages go through the model's chat template on
/// the cluster, options map to sampling (temperature, top_p, top_k, penalties, seed, stop, max output tokens).
/// </summary>
public sealed class GenClusterChatClient(GenClusterClient client, string? defaultModel = null) : IChatClient
{
    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = Request(messages, options);
        await foreach (var e in client.GenerateAsync(request, cancellationToken))
        {
            if (e.Tokens is { } batch)
                yield return new ChatResponseUpdate(ChatRole.Assistant, string.Concat(batch.Tokens.Select(t => t.Text)))
                {
                    ResponseId = e.SessionId, ModelId = request.Model, FinishReason = Finish(batch.Tokens.LastOrDefault()?.FinishReason ?? ""),
                };
            else if (e.Summary is { } summary)
                yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails
                {
                    InputTokenCount = summary.PromptTokens, OutputTokenCount = summary.GeneratedTokens, TotalTokenCount = summary.PromptTokens + summary.GeneratedTokens,
                })]) { ResponseId = e.SessionId, ModelId = summary.Model };
        }
    }

    GenerateRequest Request(IEnumerable<AiChatMessage> messages, ChatOptions? options)
    {
        var request = new GenerateRequest { Model = options?.ModelId ?? defaultModel ?? "", Messages = new ChatMessages(), Sampling = new SamplingParameters() };
        if (options?.Instructions is { } instructions) request.Messages.Messages.Add(new WireChatMessage { Role = "system", Content = instructions });
        request.Messages.Messages.AddRange(messages.Select(m => new WireChatMessage { Role = m.Role.Value, Content = m.Text }));
        var s = request.Sampling;
        if (options is null) return request;
        if (options.Temperature is { } temperature) s.Temperature = temperature;
        if (options.TopP is { } topP) s.TopP = topP;
        if (options.TopK is { } topK) s.TopK = topK;
        if (options.FrequencyPenalty is { } frequency) s.FrequencyPenalty = frequency;
        if (options.PresencePenalty is { } presence) s.PresencePenalty = presence;
        if (options.Seed is { } seed) s.Seed = unchecked((ulong)seed);
        if (options.MaxOutputTokens is { } max) s.MaxNewTokens = max;
        if (options.StopSequences is { } stop) s.Stop.AddRange(stop);
        return request;
    }

    static ChatFinishReason? Finish(string reason) => reason switch
    {
        "" => null,
        "length" => ChatFinishReason.Length,
        _ => ChatFinishReason.Stop,
    };

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceKey is null && serviceType == typeof(GenClusterClient) ? client
        : null;

    /// <summary>The wrapped client is owned by the caller.</summary>
    public void Dispose() { }
}
