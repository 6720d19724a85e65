namespace GenCluster.Models.Hub;

/// <summary>Progress of one file of a snapshot download (for a progress bar): bytes so far of this file, its size when known.</summary>
public sealed record DownloadProgress(string File, int FileIndex, int FileCount, long BytesDone, long? BytesTotal);
