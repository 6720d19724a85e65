using System.Runtime.InteropServices;

namespace GenCluster.Bench.Sampling;

/// <summary>
/// CPU time of the calling thread (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID)): on a machine shared with other jobs it
/// counts the work done, not the time spent waiting for a core. Torch runs single-threaded in this bench, on this thread.
/// </summary>
static partial class ThreadCpuClock
{
    const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>Milliseconds of CPU this thread has used.</summary>
    public static double NowMs() => ClockGetTime(ClockThreadCpuTimeId, out var t) == 0
        ? t.Seconds * 1e3 + t.Nanoseconds / 1e6
        : throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
}
