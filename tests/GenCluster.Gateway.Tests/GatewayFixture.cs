using System.Text.Json.Nodes;
using GenCluster.Client;
using GenCluster.Grains.Hosting;
using GenCluster.Silo;
using GenCluster.TestSupport;
using Microsoft.AspNetCore.Builder;

namespace GenCluster.Gateway.Tests;

/// <summary>
/// The all-in-one host (silo + gRPC gateway and OpenAI-compatible API on loopback Kestrel, free ports) serving llama-tiny
/// (with its draft model and Medusa heads); "llama-text" (llama-tiny with GPT-2's real tokenizer files, whose ids exceed
/// the model's vocabulary), "llama-budget" (a 64-slot KV budget) and "default" (the shipped model).
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    readonly string _textModel = Directory.CreateTempSubdirectory("gencluster-gateway-").FullName;
    WebApplication? _app;

    /// <summary>The gateway's address.</summary>
    public string Address { get; private set; } = "";

    /// <summary>The OpenAI-compatible API's address (e.g. http://127.0.0.1:PORT), which wants <see cref="ApiKey"/>.</summary>
    public string HttpAddress { get; private set; } = "";

    /// <summary>The API key the fixture's OpenAI-compatible API asks for.</summary>
    public const string ApiKey = "test-key";

    /// <summary>The host's services (the silo's model catalog among them).</summary>
    public IServiceProvider Services => _app!.Services;

    /// <summary>A client of the gateway.</summary>
    public GenClusterClient Client { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var llama = Fixtures.Model("llama-tiny");
        foreach (var file in Directory.GetFiles(llama)) File.Copy(file, Path.Combine(_textModel, Path.GetFileName(file)));
        var gpt2 = Path.Combine(Fixtures.RepoRoot, "tests", "GenCluster.Models.Tests", "TestData", "tokenizers", "gpt2");
        File.Copy(Path.Combine(gpt2, "tokenizer.json"), Path.Combine(_textModel, "tokenizer.json"));
        // A toy chat template whose output (one letter and "!" per message) stays inside llama-tiny's 512-token vocabulary.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(gpt2, "tokenizer_config.json")))!.AsObject();
        config["chat_template"] = "{% for m in messages %}{{ m['role'][0] }}!{% endfor %}";
        File.WriteAllText(Path.Combine(_textModel, "tokenizer_config.json"), config.ToJsonString());
        var settings = new HostSettings
        {
            GrpcPort = 0, HttpPort = 0, ApiKey = ApiKey, SiloPort = ClusterHost.FreeLoopbackPort(), OrleansGatewayPort = 0, ClusterId = "gateway-tests", ServiceId = "gateway-tests",
            Hosting = new ModelHostingOptions
            {
                Models =
                [
                    new HostedModel { Name = "llama-tiny", Dir = llama, Draft = "llama-tiny-draft", MedusaHeads = Fixtures.Model("llama-tiny-medusa") },
                    new HostedModel { Name = "llama-tiny-draft", Dir = Fixtures.Model("llama-tiny-draft") },
                    new HostedModel { Name = "llama-text", Dir = _textModel },
                    // The shipped default model: slow enough (a few ms per token) for a client to leave mid-generation.
                    new HostedModel { Name = "default", Dir = Path.Combine(Fixtures.RepoRoot, "models", "default") },
                    new HostedModel { Name = "llama-budget", Dir = llama, KvTokenBudget = 64, AdmissionTimeout = TimeSpan.FromMilliseconds(100) },
                ],
            },
        };
        _app = ClusterHost.Build(settings);
        await _app.StartAsync();
        Address = ClusterHost.GrpcAddress(_app);
        HttpAddress = ClusterHost.HttpAddress(_app)!;
        Client = new GenClusterClient(Address);
    }


    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        Directory.Delete(_textModel, recursive: true);
    }
}
