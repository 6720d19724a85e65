using GenCluster.Client;
using Microsoft.Extensions.AI;
using AiMessage = Microsoft.Extensions.AI.ChatMessage;

namespace GenCluster.Gateway.Tests;

public sealed class GenClusterChatClientTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task ChatMessagesGoThroughTheModelsTemplateAndStreamTheSameTextAsTheWholeResponse()
    {
        using IChatClient chat = new GenClusterChatClient(fixture.Client, "llama-text");
        AiMessage[] messages = [new(ChatRole.System, "be brief"), new(ChatRole.User, "hello")];
        var options = new ChatOptions { MaxOutputTokens = 6, Temperature = 0.8f, Seed = 12 };

        var response = await chat.GetResponseAsync(messages, options);
        var streamed = string.Concat(await chat.GetStreamingResponseAsync(messages, options).Select(u => u.Text).ToListAsync());

        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(6, response.Usage?.OutputTokenCount);
        // The toy template renders "s!u!"; GPT-2's tokenizer adds no special tokens.
        Assert.Equal((await fixture.Client.TokenizeAsync("llama-text", "s!u!")).TokenIds.Count, response.Usage?.InputTokenCount);
        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.Equal(response.Text, streamed);
        Assert.EndsWith("@llama-text", response.ResponseId);
    }
}
