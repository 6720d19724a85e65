using System.Diagnostics;

namespace GenCluster.Bench.Sampling;

/// <summary>Times one step repeatedly (after warm-up) and reports the median, so a busy shared machine skews less.</summary>
static class StepTimer
{
    /// <summary>Median milliseconds of <paramref name="step"/> over at least <paramref name="minRuns"/> runs or <paramref name="budget"/> of wall time.</summary>
    public static (double MedianMs, int Runs) Median(Action step, int warmup = 2, int minRuns = 5, int maxRuns = 200, double budgetSeconds = 0.4)
    {
        for (var i = 0; i < warmup; i++) step();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < maxRuns && (times.Count < minRuns || total.Elapsed.TotalSeconds < budgetSeconds))
        {
            var sw = Stopwatch.StartNew();
            step();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return (times[times.Count / 2], times.Count);
    }
}
