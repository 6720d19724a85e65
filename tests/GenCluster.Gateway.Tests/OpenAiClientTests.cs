using System.Diagnostics;
using System.Text.Json;
using GenCluster.TestSupport;

namespace GenCluster.Gateway.Tests;

/// <summary>
/// The OpenAI-compatible API driven by the official <c>openai</c> npm client (OpenAiClient/client.mjs, run by Node.js);
/// the client's packages are installed from package-lock.json on first use.
/// </summary>
public sealed class OpenAiClientTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    static readonly string ClientDir = Path.Combine(Fixtures.RepoRoot, "tests", "GenCluster.Gateway.Tests", "OpenAiClient");

    [Fact]
    public async Task TheOfficialOpenAiClientChatsStreamsCompletesListsAndReadsErrors()
    {
        if (!Directory.Exists(Path.Combine(ClientDir, "node_modules", "openai")))
            await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));

        var output = await RunAsync("node", ["client.mjs", fixture.HttpAddress + "/v1", GatewayFixture.ApiKey, "llama-text"], TimeSpan.FromMinutes(2));
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

    static async Task<string> RunAsync(string program, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = ClientDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cancel.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout}: {await stderr}");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
        return await stdout;
    }
}
