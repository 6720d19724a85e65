using System.Diagnostics;

namespace GenCluster.Bench.Sampling;

/// <summary>Times one step repeatedly after warm-up; reports medians of process CPU time and of wall time.</summary>
static class StepTimer
{
    /// <summary>Median process-CPU and wall milliseconds of <paramref name="step"/> over at least <paramref name="minRuns"/> runs or <paramref name="budgetSeconds"/> of wall time.</summary>
    public static (double CpuMs, double WallMs, int Runs) Median(Action step, int warmup = 2, int minRuns = 5, int maxRuns = 200, double budgetSeconds = 0.4)
    {
        for (var i = 0; i < warmup; i++) step();
        var cpu = new List<double>();
        var wall = new List<double>();
        var total = Stopwatch.StartNew();
        while (cpu.Count < maxRuns && (cpu.Count < minRuns || total.Elapsed.TotalSeconds < budgetSeconds))
        {
            var cpuStart = ProcessCpuClock.NowMs();
            var sw = Stopwatch.StartNew();
            step();
            wall.Add(sw.Elapsed.TotalMilliseconds);
            cpu.Add(ProcessCpuClock.NowMs() - cpuStart);
        }
        return (MedianOf(cpu), MedianOf(wall), cpu.Count);
    }

    static double MedianOf(List<double> xs)
    {
        xs.Sort();
        return xs[xs.Count / 2];
    }
}
