using System.Text.Json;
using GenCluster.Gateway.V1;
using GenCluster.TestSupport;

namespace GenCluster.Gateway.Tests;

/// <summary>The gRPC gateway driven by @grpc/grpc-js with the repository's generation.proto (NodeClients/grpc-client.mjs).</summary>
public sealed class GrpcJsClientTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task ANodeGrpcClientStreamsTheSameTokensAsTheDotNetClientAndReadsTheFieldOfAnError()
    {
        var proto = Path.Combine(Fixtures.RepoRoot, "src", "GenCluster.Gateway", "protos", "generation.proto");
        var output = await NodeClients.RunAsync("grpc-client.mjs", new Uri(fixture.Address).Authority, proto);
        var seen = JsonDocument.Parse(output).RootElement;
        var request = new GenerateRequest
        {
            Model = "llama-tiny", InputIds = new TokenIds { Ids = { 1, 15, 42, 7, 99 } }, Method = "top_k",
            Sampling = new SamplingParameters { Seed = 5, MaxNewTokens = 8, MinNewTokens = 8, TopK = 20 },
        };
        var dotnet = GenerationServiceTests.Tokens(await fixture.Client.GenerateAsync(request).ToListAsync()).Select(t => t.TokenId);

        Assert.Contains("llama-tiny", seen.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(dotnet, seen.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt64()));
        Assert.Equal("finished", seen.GetProperty("status").GetString());
        Assert.EndsWith("@llama-tiny", seen.GetProperty("sessionId").GetString());
        Assert.Equal(3, seen.GetProperty("error").GetProperty("code").GetInt32()); // INVALID_ARGUMENT
        Assert.Equal("top_p", seen.GetProperty("error").GetProperty("field").GetString());
    }
}
