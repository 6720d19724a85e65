using System.Text.Json;

namespace GenCluster.Gateway.Tests;

/// <summary>
/// The OpenAI-compatible API driven by the official <c>openai</c> npm client (NodeClients/openai-client.mjs, run by Node.js).
/// </summary>
public sealed class OpenAiClientTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task TheOfficialOpenAiClientChatsStreamsCompletesListsAndReadsErrors()
    {
        var output = await NodeClients.RunAsync("openai-client.mjs", fixture.HttpAddress + "/v1", GatewayFixture.ApiKey, "llama-text");
        var seen = JsonDocument.Parse(output).RootElement;

        var chat = seen.GetProperty("chat");
        var stream = seen.GetProperty("stream");
        Assert.Equal("assistant", chat.GetProperty("role").GetString());
        Assert.Equal("length", chat.GetProperty("finish").GetString());
        Assert.Equal(6, chat.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(chat.GetProperty("content").GetString(), stream.GetProperty("content").GetString());
        Assert.Equal("length", stream.GetProperty("finish").GetString());
        Assert.Equal(6, stream.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var completion = seen.GetProperty("completion");
        Assert.Equal(4, completion.GetProperty("tokens").GetArrayLength());
        Assert.All(completion.GetProperty("logprobs").EnumerateArray(), l => Assert.True(l.GetDouble() <= 0));
        Assert.Contains("llama-text", seen.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        var error = seen.GetProperty("error");
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Equal("temperature", error.GetProperty("param").GetString());
    }
}
