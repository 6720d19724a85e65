using System.Net;

namespace GenCluster.Models.Hub;

/// <summary>
/// One file into the blob store: HEAD for the etag and size, then GET into blobs/&lt;etag&gt;.incomplete, resuming
/// with a Range request after a cut connection (and across runs), renamed to blobs/&lt;etag&gt; when complete.
/// </summary>
sealed class ResumableDownload(HttpClient http, HttpClient metadata, HubOptions options, Uri url, string blobsDir)
{
    /// <summary>Downloads (or finds) the blob; returns its etag.</summary>
    public async Task<string> RunAsync(IProgress<(long Done, long? Total)>? progress, CancellationToken ct)
    {
        var (etag, size) = await HeadAsync(ct);
        string blob = Path.Combine(blobsDir, etag);
        if (File.Exists(blob) && (size == null || new FileInfo(blob).Length == size)) return etag;
        Directory.CreateDirectory(blobsDir);
        string partial = blob + ".incomplete";
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await TransferAsync(partial, size, progress, ct);
                break;
            }
            catch (Exception e) when (e is IOException or HttpRequestException && attempt < options.MaxResumeAttempts && !ct.IsCancellationRequested)
            {
                // The connection was cut: the next attempt resumes from the bytes already on disk.
            }
        }
        long got = new FileInfo(partial).Length;
        if (size is long expected && got != expected)
            throw new HubException($"{url} ended after {got} of {expected} bytes");
        File.Move(partial, blob, overwrite: true);
        return etag;
    }

    async Task<(string Etag, long? Size)> HeadAsync(CancellationToken ct)
    {
        var target = url;
        for (int hops = 0; hops < 5; hops++)
        {
            using var response = await HubDownloader.SendAsync(metadata, options, HttpMethod.Head, target, null, ct);
            bool redirect = (int)response.StatusCode is >= 300 and < 400;
            if (redirect && Header(response, "X-Linked-Etag") == null && response.Headers.Location is { IsAbsoluteUri: false } moved)
            {
                target = new Uri(target, moved); // a relative redirect means the repository was renamed: ask again there
                continue;
            }
            string? etag = Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.Tag;
            if (etag == null) throw new HubException($"{target} sent no ETag; cannot place it in the cache");
            long? size = long.TryParse(Header(response, "X-Linked-Size"), out long linked) ? linked
                : redirect ? null : response.Content.Headers.ContentLength;
            return (etag.Replace("W/", "").Trim('"'), size);
        }
        throw new HubException($"{url} redirects too often");
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    async Task TransferAsync(string partial, long? size, IProgress<(long, long?)>? progress, CancellationToken ct)
    {
        long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (size is long total && have >= total)
        {
            progress?.Report((have, size));
            return;
        }
        using var response = await HubDownloader.SendAsync(http, options, HttpMethod.Get, url, have > 0 ? have : null, ct);
        bool resumed = response.StatusCode == HttpStatusCode.PartialContent;
        await using var file = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write);
        if (!resumed) have = 0; // the server ignored Range: start over
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            await file.WriteAsync(buffer.AsMemory(0, read), ct);
            have += read;
            progress?.Report((have, size));
        }
    }
}
