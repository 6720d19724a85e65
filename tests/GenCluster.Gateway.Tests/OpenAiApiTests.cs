using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GenCluster.Gateway.V1;
using GenCluster.Grains.Models;
using Microsoft.Extensions.DependencyInjection;

namespace GenCluster.Gateway.Tests;

/// <summary>The OpenAI-compatible HTTP API over a real loopback HTTP connection to the all-in-one host.</summary>
public sealed class OpenAiApiTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    const string Hello = """[{"role": "user", "content": "Hello"}]""";

    HttpClient Http(bool withKey = true)
    {
        var http = new HttpClient { BaseAddress = new Uri(fixture.HttpAddress) };
        if (withKey) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFixture.ApiKey);
        return http;
    }

    async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string json, bool withKey = true)
    {
        using var http = Http(withKey);
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    // The data: payloads of a server-sent event stream, [DONE] included.
    async Task<List<string>> StreamAsync(string path, string json)
    {
        using var http = Http();
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        return body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.StartsWith("data: ") ? e["data: ".Length..] : throw new FormatException(e)).ToList();
    }

    [Fact]
    public async Task ModelsListsTheServedModelsWithTheirContextLength()
    {
        using var http = Http();
        var body = JsonDocument.Parse(await http.GetStringAsync("/v1/models")).RootElement;

        Assert.Equal("list", body.GetProperty("object").GetString());
        var tiny = body.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "llama-tiny");
        Assert.Equal("model", tiny.GetProperty("object").GetString());
        Assert.True(tiny.GetProperty("max_model_len").GetInt32() > 0);
    }

    [Fact]
    public async Task AGreedyChatCompletionSaysWhatTheGrpcGatewaySays()
    {
        var (status, body) = await PostAsync("/v1/chat/completions", $$"""{"model": "llama-text", "messages": {{Hello}}, "temperature": 0, "max_tokens": 6}""");
        var request = new GenerateRequest { Model = "llama-text", Messages = new ChatMessages { Messages = { new V1.ChatMessage { Role = "user", Content = "Hello" } } }, Sampling = new SamplingParameters { DoSample = false, MaxNewTokens = 6 } };
        var grpc = (await fixture.Client.GenerateAsync(request).ToListAsync())[^1].Summary;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(grpc.Sequences[0].Text, choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(6, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(grpc.PromptTokens, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(grpc.PromptTokens + 6, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task AStreamedChatCarriesTheWholeAnswerRoleFirstUsageLastThenDone()
    {
        string request = $$"""{"model": "llama-text", "messages": {{Hello}}, "temperature": 0, "max_tokens": 6}""";
        var (_, whole) = await PostAsync("/v1/chat/completions", request);
        var events = await StreamAsync("/v1/chat/completions", request.TrimEnd('}') + """, "stream": true, "stream_options": {"include_usage": true}}""");

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        var withChoices = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0]).ToList();
        Assert.Equal("assistant", withChoices[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(),
            string.Concat(withChoices.Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : "")));
        Assert.Equal("length", withChoices[^1].GetProperty("finish_reason").GetString());
        Assert.All(withChoices[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("finish_reason").ValueKind));
        Assert.Equal(6, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
    }

    [Fact]
    public async Task CompletionLogprobsListEveryTokenWithItsAlternatives()
    {
        var (status, body) = await PostAsync("/v1/completions", """{"model": "llama-text", "prompt": "a", "temperature": 0, "max_tokens": 4, "logprobs": 3}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        var logprobs = body.GetProperty("choices")[0].GetProperty("logprobs");
        var chosen = logprobs.GetProperty("token_logprobs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var alternatives = logprobs.GetProperty("top_logprobs").EnumerateArray().ToArray();
        Assert.Equal(4, logprobs.GetProperty("tokens").GetArrayLength());
        Assert.Equal(4, chosen.Length);
        Assert.Equal(4, alternatives.Length);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(chosen[i] <= 0);
            var top = alternatives[i].EnumerateObject().Select(p => p.Value.GetDouble()).ToArray();
            Assert.InRange(top.Length, 1, 3);
            Assert.Equal(top.Max(), chosen[i], 4); // greedy picks the most likely token
        }
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(0, offsets[0]);
        Assert.True(offsets.Zip(offsets.Skip(1)).All(p => p.First <= p.Second));
    }

    [Fact]
    public async Task SeveralSeededSamplesAreReproducible()
    {
        string request = """{"model": "llama-tiny", "prompt": [1, 15, 42], "n": 2, "seed": 7, "temperature": 1.0, "top_k": 20, "max_tokens": 5, "min_tokens": 5}""";
        var (status, first) = await PostAsync("/v1/completions", request);
        var (_, second) = await PostAsync("/v1/completions", request);

        Assert.Equal(HttpStatusCode.OK, status);
        var choices = first.GetProperty("choices").EnumerateArray().ToArray();
        Assert.Equal([0, 1], choices.Select(c => c.GetProperty("index").GetInt32()));
        Assert.Equal(10, first.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(choices.Select(c => c.GetProperty("text").GetString()), second.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString()));
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"messages": [{"role": "user", "content": "Hi"}], "model": "llama-text", "temperature": 3}""", 400, "temperature")]
    [InlineData("/v1/chat/completions", """{"model": "llama-text"}""", 400, "messages")]
    [InlineData("/v1/chat/completions", """{"model": "llama-text", "messages": [{"content": "Hi"}]}""", 400, "messages[0].role")]
    [InlineData("/v1/chat/completions", """{"model": "llama-text", "messages": [{"role": "user", "content": "Hi"}], "top_logprobs": 2}""", 400, "top_logprobs")]
    [InlineData("/v1/chat/completions", """{"model": "llama-text", "messages": [{"role": "user", "content": "Hi"}], "tools": [{"type": "function"}]}""", 400, "tools")]
    [InlineData("/v1/chat/completions", """{"model": "llama-text", "messages": [{"role": "user", "content": "Hi"}], "n": 0}""", 400, "n")]
    [InlineData("/v1/completions", """{"model": "llama-tiny", "prompt": ["one", "two"]}""", 400, "prompt")]
    [InlineData("/v1/completions", """{"model": "llama-tiny", "prompt": "a", "stop": 7}""", 400, "stop")]
    [InlineData("/v1/completions", """not json""", 400, "body")]
    [InlineData("/v1/completions", """{"model": "no-such-model", "prompt": "a"}""", 404, "model")]
    public async Task BadRequestsGetAnOpenAiErrorNamingTheField(string path, string json, int status, string param)
    {
        var (code, body) = await PostAsync(path, json);

        Assert.Equal(status, (int)code);
        var error = body.GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task TheApiWantsItsKeyButHealthIsOpen()
    {
        var (status, body) = await PostAsync("/v1/completions", """{"model": "llama-tiny", "prompt": [1]}""", withKey: false);
        using var http = Http(withKey: false);
        using var health = await http.GetAsync("/health");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_api_key", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task AClientThatGoesAwayMidStreamCancelsItsGeneration()
    {
        // Another job holds the model's device, so the generation cannot run ahead while the client leaves.
        var executor = fixture.Services.GetRequiredService<ModelCatalog>().Get("llama-tiny").Executor;
        using var device = new ManualResetEventSlim();
        var held = executor.RunAsync(() => device.Wait(TimeSpan.FromSeconds(30)));
        string sessionId;
        try
        {
            // A raw connection that is closed once the stream's headers arrive, as a killed curl would leave
            // (HttpClient would drain a disposed response to reuse its connection).
            var address = new Uri(fixture.HttpAddress);
            using (var tcp = new System.Net.Sockets.TcpClient())
            {
                await tcp.ConnectAsync(address.Host, address.Port);
                var stream = tcp.GetStream();
                var body = """{"model": "llama-tiny", "prompt": [1, 2], "max_tokens": 250, "min_tokens": 250, "temperature": 0, "stream": true}""";
                var head = $"POST /v1/completions HTTP/1.1\r\nHost: {address.Authority}\r\nAuthorization: Bearer {GatewayFixture.ApiKey}\r\n" +
                    $"Content-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
                await stream.WriteAsync(Encoding.UTF8.GetBytes(head));
                using var reader = new StreamReader(stream);
                var headers = new List<string>();
                for (var line = await reader.ReadLineAsync(); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync()) headers.Add(line);
                Assert.StartsWith("HTTP/1.1 200", headers[0]);
                sessionId = headers.Single(h => h.StartsWith("x-request-id:", StringComparison.OrdinalIgnoreCase))["x-request-id:".Length..].Trim();
            }
            // The server notices the closed connection and the session's last watcher leaves.
            await Task.Delay(1000);
        }
        finally { device.Set(); }
        await held;

        var status = await fixture.Client.GetSessionAsync(sessionId);
        for (int attempt = 0; attempt < 100 && status.Status == "running"; attempt++)
        {
            await Task.Delay(100);
            status = await fixture.Client.GetSessionAsync(sessionId);
        }
        Assert.True(status.Status == "cancelled", $"status {status.Status} after {status.GeneratedTokens} tokens");
        Assert.True(status.GeneratedTokens < 250);
    }
}
