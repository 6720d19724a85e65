using GenCluster.TestSupport;

namespace GenCluster.Cli.Tests;

/// <summary>`generate --model org/name` downloads from HF_ENDPOINT into the HF cache layout, with the token checked.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class HubModelTests : IDisposable
{
    readonly string _home = Directory.CreateTempSubdirectory("gencluster-hf-home-").FullName;

    public void Dispose()
    {
        foreach (var v in new[] { "HF_ENDPOINT", "HF_HOME", "HF_HUB_OFFLINE" }) Environment.SetEnvironmentVariable(v, null);
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public async Task HubModelIsDownloadedOnceThenServedFromTheCacheOffline()
    {
        using var hub = new FixtureHubServer(Fixtures.Model("llama-tiny"), "acme/llama-tiny", "secret-token", new string('c', 40));
        Environment.SetEnvironmentVariable("HF_ENDPOINT", hub.Endpoint);
        Environment.SetEnvironmentVariable("HF_HOME", _home);

        var (code, _, stderr) = await CliRunner.RunAsync("generate", "--model", "acme/llama-tiny", "--hf-token", "wrong", "--input-ids", "360", "--max_new_tokens", "3");
        Assert.Equal(1, code);
        Assert.Contains("token", stderr, StringComparison.OrdinalIgnoreCase);

        (code, var stdout, stderr) = await CliRunner.RunAsync("generate", "--model", "acme/llama-tiny", "--hf-token", "secret-token", "--input-ids", "360", "--max_new_tokens", "3");
        Assert.True(code == 0, stderr);
        Assert.Equal("66 438 323", stdout.Trim());
        Assert.True(File.Exists(Path.Combine(_home, "hub", "models--acme--llama-tiny", "snapshots", hub.Commit, "model.safetensors")));

        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", "1");
        (code, stdout, stderr) = await CliRunner.RunAsync("generate", "--model", "acme/llama-tiny", "--input-ids", "360", "--max_new_tokens", "3");
        Assert.True(code == 0, stderr);
        Assert.Equal("66 438 323", stdout.Trim());
    }
}

/// <summary>Tests that set process environment variables run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "process environment";
}
