using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenCluster.Bench.Runtime;

/// <summary>Measures read bandwidth: every core sums its slice of a large native buffer with 256-bit loads.</summary>
internal static unsafe class MemoryBandwidth
{
    public static double MeasureGBps(long bytes, int repetitions = 5)
    {
        long floats = bytes / sizeof(float);
        var buffer = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        try
        {
            new Span<float>(buffer, 0).Clear();
            for (long i = 0; i < floats; i += 1024) buffer[i] = i; // touch every page
            int threads = Environment.ProcessorCount;
            double best = 0;
            for (int rep = 0; rep < repetitions; rep++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var sums = new float[threads];
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    long chunk = floats / threads / 32 * 32;
                    float* p = buffer + t * chunk;
                    Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                    for (long i = 0; i < chunk; i += 32)
                    {
                        a0 += Vector256.Load(p + i);
                        a1 += Vector256.Load(p + i + 8);
                        a2 += Vector256.Load(p + i + 16);
                        a3 += Vector256.Load(p + i + 24);
                    }
                    sums[t] = Vector256.Sum(a0 + a1 + a2 + a3);
                });
                double seconds = clock.Elapsed.TotalSeconds;
                best = Math.Max(best, floats / threads / 32 * 32 * threads * sizeof(float) / seconds / 1e9);
                GC.KeepAlive(sums);
            }
            return best;
        }
        finally { NativeMemory.AlignedFree(buffer); }
    }
}
