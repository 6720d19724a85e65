using GenCluster.Models.Kernels;

namespace GenCluster.Models.Tests.Kernels;

/// <summary>The persistent pool runs every chunk of every job exactly once, back to back and from several callers.</summary>
public class WorkerPoolTests
{
    [Fact]
    public void EveryChunkRunsExactlyOnceAcrossManyJobs()
    {
        using var pool = new WorkerPool(3);
        for (int job = 0; job < 2000; job++)
        {
            int chunks = 1 + job % 17;
            var hits = new int[chunks];
            pool.Run(chunks, c => Interlocked.Increment(ref hits[c]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void ConcurrentCallersAreSerialisedSafely()
    {
        using var pool = new WorkerPool(2);
        long total = 0;
        Parallel.For(0, 8, _ =>
        {
            for (int j = 0; j < 200; j++) pool.Run(5, c => Interlocked.Add(ref total, c + 1));
        });
        Assert.Equal(8 * 200 * 15, total);
    }
}
