using System.Runtime.InteropServices;

namespace GenCluster.Bench.Sampling;

/// <summary>
/// CPU time of this process (Linux clock_gettime(CLOCK_PROCESS_CPUTIME_ID)): on a machine shared with other jobs it
/// counts the work done, on every thread (the sampler's parallel rows included), not the time spent waiting for a core.
/// </summary>
static partial class ProcessCpuClock
{
    const int ClockProcessCpuTimeId = 2;

    [StructLayout(LayoutKind.Sequential)]
    struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>Milliseconds of CPU this process has used.</summary>
    public static double NowMs() => ClockGetTime(ClockProcessCpuTimeId, out var t) == 0
        ? t.Seconds * 1e3 + t.Nanoseconds / 1e6
        : throw new InvalidOperationException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
}
