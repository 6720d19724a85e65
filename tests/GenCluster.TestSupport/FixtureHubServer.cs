using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace GenCluster.TestSupport;

/// <summary>
/// A real loopback HTTP server speaking the hub's download API for one repository backed by a fixture folder:
/// bearer-token check, revision API, HEAD/GET resolve with ETag and Range, and an optional connection cut mid-file.
/// </summary>
public sealed class FixtureHubServer : IDisposable
{
    readonly HttpListener listener = new();
    readonly string folder, repo, token;
    int cutsLeft;

    public FixtureHubServer(string folder, string repo, string token, string commit)
    {
        (this.folder, this.repo, this.token, Commit) = (folder, repo, token, commit);
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = $"http://127.0.0.1:{port}";
        listener.Prefixes.Add(Endpoint + "/");
        listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public string Endpoint { get; }
    public string Commit { get; }

    /// <summary>Requests seen: method, path, Range header.</summary>
    public ConcurrentQueue<(string Method, string Path, string? Range)> Requests { get; } = new();

    /// <summary>File served like an LFS file on the real hub: resolve answers 302 to a CDN path with X-Linked-Etag/Size.</summary>
    public string? LfsFile { get; set; }

    /// <summary>File whose next full transfer is cut after <see cref="CutAfterBytes"/> bytes.</summary>
    public string? CutFile { get; set; }
    public int CutAfterBytes { get; set; }
    public int Cuts { get => cutsLeft; set => cutsLeft = value; }

    /// <summary>Files the revision API lists (README.md is listed but not served, so fetching it fails).</summary>
    public List<string> Siblings => [.. Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).Order(), "README.md"];

    async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => Handle(context));
        }
    }

    void Handle(HttpListenerContext context)
    {
        var (request, response) = (context.Request, context.Response);
        string path = Uri.UnescapeDataString(request.Url!.AbsolutePath);
        Requests.Enqueue((request.HttpMethod, path, request.Headers["Range"]));
        try
        {
            if (path.StartsWith("/cdn/", StringComparison.Ordinal) && LfsFile != null)
            {
                // The CDN needs no token (its URLs are signed on the real hub) and must never receive it.
                if (request.Headers["Authorization"] != null) { Finish(response, 400); return; }
                ServeFile(request, response, File.ReadAllBytes(Path.Combine(folder, LfsFile)), LfsFile);
                return;
            }
            if (request.Headers["Authorization"] != "Bearer " + token) { Finish(response, 401); return; }
            if (path == $"/api/models/{repo}/revision/main")
            {
                var body = JsonSerializer.SerializeToUtf8Bytes(new { id = repo, sha = Commit, siblings = Siblings.Select(f => new { rfilename = f }) });
                response.ContentType = "application/json";
                response.OutputStream.Write(body);
                Finish(response, 200);
                return;
            }
            string prefix = $"/{repo}/resolve/{Commit}/";
            string file = path.StartsWith(prefix, StringComparison.Ordinal) ? Path.Combine(folder, path[prefix.Length..]) : "";
            if (!File.Exists(file)) { Finish(response, 404); return; }
            if (Path.GetFileName(file) == LfsFile)
            {
                var content = File.ReadAllBytes(file);
                string sha = Convert.ToHexStringLower(SHA256.HashData(content));
                response.Headers["X-Linked-Etag"] = "\"" + sha + "\"";
                response.Headers["X-Linked-Size"] = content.Length.ToString();
                response.Headers["ETag"] = "\"git-oid-not-the-blob-name\"";
                response.Redirect($"{Endpoint}/cdn/{sha}");
                Finish(response, 302);
                return;
            }
            ServeFile(request, response, File.ReadAllBytes(file), Path.GetFileName(file));
        }
        catch (Exception) when (!listener.IsListening) { }
    }

    void ServeFile(HttpListenerRequest request, HttpListenerResponse response, byte[] content, string name)
    {
        response.Headers["ETag"] = "\"" + Convert.ToHexStringLower(SHA256.HashData(content)) + "\"";
        int from = request.Headers["Range"] is { } range && range.StartsWith("bytes=", StringComparison.Ordinal)
            ? int.Parse(range[6..].TrimEnd('-')) : 0;
        if (from > 0)
        {
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {from}-{content.Length - 1}/{content.Length}";
        }
        response.ContentLength64 = content.Length - from;
        if (request.HttpMethod == "HEAD") { response.Close(); return; }
        if (name == CutFile && from == 0 && Interlocked.Decrement(ref cutsLeft) >= 0)
        {
            response.OutputStream.Write(content, 0, CutAfterBytes);
            response.OutputStream.Flush();
            response.Abort(); // drop the connection mid-body
            return;
        }
        response.OutputStream.Write(content, from, content.Length - from);
        response.Close();
    }

    static void Finish(HttpListenerResponse response, int status)
    {
        response.StatusCode = status;
        response.Close();
    }

    public void Dispose()
    {
        if (!listener.IsListening) return;
        listener.Stop();
        listener.Close();
    }
}
