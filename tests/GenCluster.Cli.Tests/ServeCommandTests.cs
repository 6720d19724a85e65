using System.Text.Json;
using GenCluster.TestSupport;

namespace GenCluster.Cli.Tests;

/// <summary>`gencluster serve` hosting the all-in-one cluster, and `generate --server` streaming through its gateway.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task GenerateThroughTheServedGatewayMatchesLocalGeneration()
    {
        var model = Fixtures.Model("llama-tiny");
        var (address, stop, serve) = await ServeAsync("--http-port", "0", "--model", model);
        using var _ = stop;
        string[] flags = ["--input-ids", "1,15,42,7", "--max_new_tokens", "12", "--min_new_tokens", "12", "--top_k", "20", "--seed", "4", "--output", "json"];

        var remote = await CliRunner.RunAsync(["generate", "--server", address, "--model", "llama-tiny", .. flags]);
        var local = await CliRunner.RunAsync(["generate", "--model", model, .. flags]);
        var unknown = await CliRunner.RunAsync(["generate", "--server", address, "--model", "no-such-model", "--input-ids", "1"]);
        // llama-tiny-draft beside the served folder is its draft: speculative greedy keeps the greedy tokens.
        string[] greedy = ["--input-ids", "1,15,42,7", "--max_new_tokens", "12", "--min_new_tokens", "12", "--output", "json"];
        var speculative = await CliRunner.RunAsync(["generate", "--server", address, "--model", "llama-tiny", "--method", "speculative", "--lookahead", "3", .. greedy]);
        var plain = await CliRunner.RunAsync(["generate", "--model", model, .. greedy]);
        var beam = await CliRunner.RunAsync(["generate", "--server", address, "--model", "llama-tiny", "--method", "beam", "--num_beams", "2", "--num_return_sequences", "2",
            "--input-ids", "1,15,42,7", "--max_new_tokens", "6", "--output", "json"]);
        stop.Cancel();

        Assert.True(remote.Code == 0, remote.Err);
        using var remoteJson = JsonDocument.Parse(remote.Out);
        using var localJson = JsonDocument.Parse(local.Out);
        Assert.Equal(Fixtures.ReadLongs(localJson.RootElement.GetProperty("token_ids")), Fixtures.ReadLongs(remoteJson.RootElement.GetProperty("token_ids")));
        Assert.Equal("length", remoteJson.RootElement.GetProperty("finish_reason").GetString());
        Assert.EndsWith("@llama-tiny", remoteJson.RootElement.GetProperty("session_id").GetString());
        Assert.True(speculative.Code == 0, speculative.Err);
        using var speculativeJson = JsonDocument.Parse(speculative.Out);
        using var plainJson = JsonDocument.Parse(plain.Out);
        Assert.Equal(Fixtures.ReadLongs(plainJson.RootElement.GetProperty("token_ids")), Fixtures.ReadLongs(speculativeJson.RootElement.GetProperty("token_ids")));
        Assert.True(speculativeJson.RootElement.GetProperty("stats").GetProperty("draft_forward_passes").GetInt32() > 0);
        Assert.True(beam.Code == 0, beam.Err);
        using var beamJson = JsonDocument.Parse(beam.Out);
        var choices = beamJson.RootElement.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal(2, choices.Count);
        Assert.True(choices[0].GetProperty("score").GetDouble() >= choices[1].GetProperty("score").GetDouble());
        Assert.Equal(2, unknown.Code);
        Assert.Contains("not served", unknown.Err);
        Assert.Equal(0, await serve);
    }

    [Fact]
    public async Task AnAcceleratedServerRunsPlainRequestsWithTheDraftBesideTheModel()
    {
        var model = Fixtures.Model("llama-tiny");
        var (address, stop, serve) = await ServeAsync("--http-port", "-1", "--model", model, "--accelerate", "speculative");
        using var _ = stop;
        string[] greedy = ["--input-ids", "1,15,42,7", "--max_new_tokens", "12", "--min_new_tokens", "12", "--output", "json"];

        var remote = await CliRunner.RunAsync(["generate", "--server", address, "--model", "llama-tiny", .. greedy]);
        var local = await CliRunner.RunAsync(["generate", "--model", model, .. greedy]);
        stop.Cancel();
        var bogus = await CliRunner.RunAsync("serve", "--accelerate", "turbo");

        Assert.True(remote.Code == 0, remote.Err);
        using var remoteJson = JsonDocument.Parse(remote.Out);
        using var localJson = JsonDocument.Parse(local.Out);
        Assert.Equal(Fixtures.ReadLongs(localJson.RootElement.GetProperty("token_ids")), Fixtures.ReadLongs(remoteJson.RootElement.GetProperty("token_ids")));
        Assert.True(remoteJson.RootElement.GetProperty("stats").GetProperty("draft_forward_passes").GetInt32() > 0);
        Assert.Equal(0, await serve);
        Assert.Equal(2, bogus.Code);
        Assert.Contains("turbo", bogus.Err);
    }

    /// <summary>Starts `serve --port 0 ARGS` in-process and waits for the address it prints; cancelling Stop ends it.</summary>
    static async Task<(string Address, CancellationTokenSource Stop, Task<int> Serve)> ServeAsync(params string[] args)
    {
        var output = new StringWriter();
        var served = TextWriter.Synchronized(output);
        var stop = new CancellationTokenSource();
        var serve = CliApp.RunAsync(["serve", "--port", "0", .. args], served, TextWriter.Null, stop.Token);
        return (await AddressAsync(served, output, serve), stop, serve);
    }

    // The synchronized writer locks on itself while writing; read the text under the same lock.
    static async Task<string> AddressAsync(TextWriter served, StringWriter output, Task<int> serve)
    {
        string text = "";
        for (int attempt = 0; attempt < 600 && !serve.IsCompleted; attempt++)
        {
            lock (served) text = output.ToString();
            int at = text.IndexOf("http://", StringComparison.Ordinal);
            if (at >= 0 && text.IndexOf(' ', at) is var end and > 0) return text[at..end];
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"serve did not print its address (exit {(serve.IsCompleted ? serve.Result : "still running")}): {text}");
    }
}
