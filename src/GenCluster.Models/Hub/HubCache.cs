namespace GenCluster.Models.Hub;

/// <summary>
/// huggingface_hub's cache layout for one repository: models--org--name/{blobs/&lt;etag&gt;, refs/&lt;revision&gt;
/// (holding the commit hash), snapshots/&lt;commit&gt;/&lt;file&gt; (relative symlinks into blobs)}.
/// </summary>
public sealed class HubCache(string cacheDir, string repoId)
{
    /// <summary>cacheDir/models--org--name.</summary>
    public string RepoDir { get; } = Path.Combine(cacheDir, "models--" + repoId.Replace("/", "--"));

    /// <summary>Folder of a blob (content-addressed by etag).</summary>
    public string BlobPath(string etag) => Path.Combine(RepoDir, "blobs", etag);

    /// <summary>Folder of a commit's files.</summary>
    public string SnapshotDir(string commit) => Path.Combine(RepoDir, "snapshots", commit);

    /// <summary>The commit a revision (branch, tag or commit hash) points to, if cached.</summary>
    public string? ReadRef(string revision)
    {
        string path = Path.Combine(RepoDir, "refs", revision);
        if (File.Exists(path)) return File.ReadAllText(path).Trim();
        return Directory.Exists(SnapshotDir(revision)) ? revision : null;
    }

    /// <summary>Records that a revision points to a commit.</summary>
    public void WriteRef(string revision, string commit)
    {
        if (revision == commit) return;
        string path = Path.Combine(RepoDir, "refs", revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, commit);
    }

    /// <summary>Points snapshots/&lt;commit&gt;/&lt;file&gt; at a blob (relative symlink as huggingface_hub makes; a copy where links fail).</summary>
    public string Link(string commit, string file, string etag)
    {
        string target = Path.Combine(SnapshotDir(commit), file.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (File.Exists(target) || new FileInfo(target).LinkTarget != null) File.Delete(target);
        string blob = BlobPath(etag);
        try
        {
            File.CreateSymbolicLink(target, Path.GetRelativePath(Path.GetDirectoryName(target)!, blob));
        }
        catch (IOException)
        {
            File.Copy(blob, target);
        }
        catch (UnauthorizedAccessException)
        {
            File.Copy(blob, target);
        }
        return target;
    }
}
