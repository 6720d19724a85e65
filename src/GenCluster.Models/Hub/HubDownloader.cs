using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GenCluster.Models.Hub;

/// <summary>
/// Turns a model name into a local folder: an existing folder is used as is; otherwise "org/name" is resolved on the
/// hub (<c>/api/models/{repo}/revision/{rev}</c>), its files fetched from <c>/{repo}/resolve/{commit}/{file}</c>
/// into the standard HF cache (resumable), and the snapshot folder returned. Offline mode reads the cache only.
/// </summary>
public sealed partial class HubDownloader(HubOptions options, HttpClient? http = null)
{
    readonly HttpClient http = http ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };

    // Metadata requests must see the hub's own 302 (its X-Linked-Etag is the blob's sha256, the name huggingface_hub
    // gives the blob), so HEAD does not follow redirects; transfers do, and HttpClient drops the token on redirect.
    static readonly HttpClient Metadata = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The files a model needs (configs, weights, tokenizer, templates); other repository files are skipped.</summary>
    public static bool IsModelFile(string file) =>
        !file.StartsWith("original/", StringComparison.Ordinal)
        && Path.GetExtension(file) is ".json" or ".safetensors" or ".txt" or ".model" or ".jinja" or ".tiktoken";

    /// <summary>Returns a folder holding the model: <paramref name="modelNameOrPath"/> itself if it is a folder, else the cached hub snapshot.</summary>
    public async Task<string> ResolveAsync(string modelNameOrPath, string revision = "main", IProgress<DownloadProgress>? progress = null,
        Func<string, bool>? includeFile = null, CancellationToken cancellationToken = default)
    {
        if (Directory.Exists(modelNameOrPath)) return Path.GetFullPath(modelNameOrPath);
        if (!RepoId().IsMatch(modelNameOrPath))
            throw new DirectoryNotFoundException($"'{modelNameOrPath}' is neither a folder nor a hub repository id like 'org/name'");
        var cache = new HubCache(options.CacheDir, modelNameOrPath);
        if (options.Offline) return ResolveOffline(cache, modelNameOrPath, revision);

        string commit;
        List<string> files;
        try
        {
            (commit, files) = await GetRevisionAsync(modelNameOrPath, revision, cancellationToken);
        }
        catch (HttpRequestException) when (cache.ReadRef(revision) is { } cached && Directory.Exists(cache.SnapshotDir(cached)))
        {
            return cache.SnapshotDir(cached); // hub unreachable: use the complete snapshot already cached, as huggingface_hub does
        }
        var wanted = files.Where(includeFile ?? IsModelFile).ToList();
        for (int i = 0; i < wanted.Count; i++)
        {
            string file = wanted[i];
            var url = new Uri($"{options.Endpoint}/{modelNameOrPath}/resolve/{commit}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");
            var transfer = new ResumableDownload(http, Metadata, options, url, Path.Combine(cache.RepoDir, "blobs"));
            string etag = await transfer.RunAsync(progress == null ? null : new FileProgress(progress, file, i, wanted.Count), cancellationToken);
            cache.Link(commit, file, etag);
        }
        Directory.CreateDirectory(cache.SnapshotDir(commit));
        cache.WriteRef(revision, commit);
        return cache.SnapshotDir(commit);
    }

    static string ResolveOffline(HubCache cache, string repo, string revision)
    {
        string? commit = cache.ReadRef(revision);
        if (commit != null && Directory.Exists(cache.SnapshotDir(commit))) return cache.SnapshotDir(commit);
        throw new HubOfflineException(
            $"model '{repo}' (revision {revision}) is not in the cache {cache.RepoDir} and HF_HUB_OFFLINE=1 forbids downloading it; unset HF_HUB_OFFLINE or pass a local folder");
    }

    async Task<(string Commit, List<string> Files)> GetRevisionAsync(string repo, string revision, CancellationToken ct)
    {
        var url = new Uri($"{options.Endpoint}/api/models/{repo}/revision/{Uri.EscapeDataString(revision)}");
        using var response = await SendAsync(http, options, HttpMethod.Get, url, null, ct);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var root = doc.RootElement;
        string commit = root.TryGetProperty("sha", out var sha) && sha.GetString() is { Length: > 0 } s ? s
            : throw new HubException($"{url} returned no commit sha");
        var files = root.TryGetProperty("siblings", out var siblings)
            ? siblings.EnumerateArray().Select(e => e.GetProperty("rfilename").GetString()!).ToList()
            : [];
        return (commit, files);
    }

    /// <summary>Sends a request with the bearer token; 401/403 and 404 become specific exceptions.</summary>
    internal static async Task<HttpResponseMessage> SendAsync(HttpClient http, HubOptions options, HttpMethod method, Uri url, long? rangeFrom, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, url);
        if (options.Token != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        if (rangeFrom is long from) request.Headers.Range = new RangeHeaderValue(from, null);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.IsSuccessStatusCode || (int)response.StatusCode is >= 300 and < 400) return response;
        var status = response.StatusCode;
        response.Dispose();
        throw status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new HubAuthenticationException(options.Token == null
                ? $"{url.Host} requires a token for {url.AbsolutePath} (HTTP {(int)status}); set HF_TOKEN or pass --hf-token"
                : $"token rejected by {url.Host} for {url.AbsolutePath} (HTTP {(int)status}); check --hf-token / HF_TOKEN and that it has access to this repository"),
            HttpStatusCode.NotFound => new HubNotFoundException($"not found on the hub: {url} (check the repository id, revision and file name)"),
            _ => new HubException($"{method} {url} failed with HTTP {(int)status}"),
        };
    }

    /// <summary>
    /// Forwards one file's byte counts synchronously (Progress&lt;T&gt; would post them to the thread pool, so the
    /// final 100% report could arrive after the download returned).
    /// </summary>
    sealed class FileProgress(IProgress<DownloadProgress> outer, string file, int index, int count) : IProgress<(long Done, long? Total)>
    {
        public void Report((long Done, long? Total) value) => outer.Report(new DownloadProgress(file, index, count, value.Done, value.Total));
    }

    [GeneratedRegex(@"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")]
    private static partial Regex RepoId();
}
