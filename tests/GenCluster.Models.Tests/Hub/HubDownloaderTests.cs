using GenCluster.Models.Hub;
using GenCluster.TestSupport;

namespace GenCluster.Models.Tests.Hub;

/// <summary>Hub downloads against a loopback server that serves the llama-tiny fixture.</summary>
public sealed class HubDownloaderTests : IDisposable
{
    const string Repo = "test-org/llama-tiny";
    const string Token = "hf_good_token";
    static readonly string Fixture = Fixtures.Model("llama-tiny");
    readonly string cacheDir = Directory.CreateTempSubdirectory("gc-hub").FullName;
    readonly FixtureHubServer server = new(Fixture, Repo, Token, commit: "0123456789abcdef0123456789abcdef01234567");

    HubOptions Options(string? token = Token, bool offline = false) =>
        new() { Endpoint = server.Endpoint, Token = token, CacheDir = cacheDir, Offline = offline };

    public void Dispose()
    {
        server.Dispose();
        Directory.Delete(cacheDir, recursive: true);
    }

    static void AssertSameFiles(string snapshot)
    {
        foreach (var file in Directory.GetFiles(Fixture))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(snapshot, Path.GetFileName(file))));
    }

    [Fact]
    public async Task Downloads_into_the_hf_cache_layout()
    {
        string snapshot = await new HubDownloader(Options()).ResolveAsync(Repo);
        string repoDir = Path.Combine(cacheDir, "models--test-org--llama-tiny");
        Assert.Equal(Path.Combine(repoDir, "snapshots", server.Commit), snapshot);
        Assert.Equal(server.Commit, File.ReadAllText(Path.Combine(repoDir, "refs", "main")));
        AssertSameFiles(snapshot);
        Assert.NotNull(new FileInfo(Path.Combine(snapshot, "model.safetensors")).LinkTarget);
        Assert.Equal(Directory.GetFiles(Fixture).Length, Directory.GetFiles(Path.Combine(repoDir, "blobs")).Length);
        Assert.DoesNotContain(server.Requests, r => r.Path.EndsWith("README.md"));
    }

    [Fact]
    public async Task Resumes_with_a_range_request_after_the_connection_is_cut()
    {
        server.CutFile = "model.safetensors";
        server.CutAfterBytes = 200_000;
        server.Cuts = 1;
        var reports = new List<DownloadProgress>();
        var progress = new SynchronousProgress(reports);
        string snapshot = await new HubDownloader(Options()).ResolveAsync(Repo, progress: progress);
        AssertSameFiles(snapshot);
        Assert.Contains(server.Requests, r => r.Method == "GET" && r.Path.EndsWith("model.safetensors") && r.Range != null && r.Range.StartsWith("bytes="));
        long size = new FileInfo(Path.Combine(Fixture, "model.safetensors")).Length;
        Assert.Contains(reports, p => p.File == "model.safetensors" && p.BytesDone == size && p.BytesTotal == size);
    }

    [Fact]
    public async Task Resumes_a_partial_file_left_by_an_earlier_run()
    {
        server.CutFile = "model.safetensors";
        server.CutAfterBytes = 100_000;
        server.Cuts = 100; // every full transfer is cut: only resuming can finish
        var options = Options() with { MaxResumeAttempts = 0 };
        await Assert.ThrowsAnyAsync<IOException>(() => new HubDownloader(options).ResolveAsync(Repo));
        Assert.Single(Directory.GetFiles(Path.Combine(cacheDir, "models--test-org--llama-tiny", "blobs"), "*.incomplete"));
        string snapshot = await new HubDownloader(options).ResolveAsync(Repo);
        AssertSameFiles(snapshot);
    }

    [Fact]
    public async Task Lfs_files_follow_the_redirect_without_the_token_and_are_stored_under_their_sha256()
    {
        server.LfsFile = "model.safetensors";
        string snapshot = await new HubDownloader(Options()).ResolveAsync(Repo);
        AssertSameFiles(snapshot);
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(Fixture, "model.safetensors"))));
        Assert.True(File.Exists(Path.Combine(cacheDir, "models--test-org--llama-tiny", "blobs", sha)));
        Assert.Contains(server.Requests, r => r.Method == "GET" && r.Path == "/cdn/" + sha);
    }

    [Fact]
    public async Task A_wrong_token_is_rejected_with_a_clear_message()
    {
        var error = await Assert.ThrowsAsync<HubAuthenticationException>(() => new HubDownloader(Options("hf_wrong")).ResolveAsync(Repo));
        Assert.Contains("token rejected", error.Message);
        var missing = await Assert.ThrowsAsync<HubAuthenticationException>(() => new HubDownloader(Options(token: null)).ResolveAsync(Repo));
        Assert.Contains("HF_TOKEN", missing.Message);
    }

    [Fact]
    public async Task Offline_mode_uses_the_cache_and_names_what_is_missing()
    {
        var offline = new HubDownloader(Options(offline: true));
        var error = await Assert.ThrowsAsync<HubOfflineException>(() => offline.ResolveAsync(Repo));
        Assert.Contains("HF_HUB_OFFLINE", error.Message);
        string downloaded = await new HubDownloader(Options()).ResolveAsync(Repo);
        server.Dispose();
        Assert.Equal(downloaded, await offline.ResolveAsync(Repo));
        Assert.Equal(downloaded, await new HubDownloader(Options()).ResolveAsync(Repo)); // hub unreachable: cached snapshot
    }

    [Fact]
    public async Task A_local_folder_is_used_as_is_and_bad_names_are_reported()
    {
        var downloader = new HubDownloader(Options());
        Assert.Equal(Fixture, await downloader.ResolveAsync(Fixture));
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => downloader.ResolveAsync("/no/such/folder"));
        await Assert.ThrowsAsync<HubNotFoundException>(() => downloader.ResolveAsync("test-org/other-model"));
    }

    [Fact]
    public void Options_follow_the_huggingface_hub_environment_variables()
    {
        string[] names = ["HF_ENDPOINT", "HF_TOKEN", "HF_HUB_CACHE", "HF_HOME", "HF_HUB_OFFLINE"];
        var saved = names.ToDictionary(n => n, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("HF_ENDPOINT", "http://mirror.local/");
            Environment.SetEnvironmentVariable("HF_TOKEN", "hf_env");
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", null);
            Environment.SetEnvironmentVariable("HF_HOME", "/data/hf");
            Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", "1");
            var options = HubOptions.FromEnvironment();
            Assert.Equal("http://mirror.local", options.Endpoint);
            Assert.Equal("hf_env", options.Token);
            Assert.Equal("/data/hf/hub", options.CacheDir);
            Assert.True(options.Offline);
            Assert.Equal("hf_arg", HubOptions.FromEnvironment("hf_arg").Token);
        }
        finally
        {
            foreach (var (k, v) in saved) Environment.SetEnvironmentVariable(k, v);
        }
    }

    /// <summary>Collects reports on the reporting thread (Progress&lt;T&gt; would post them later).</summary>
    sealed class SynchronousProgress(List<DownloadProgress> sink) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            lock (sink) sink.Add(value);
        }
    }
}
