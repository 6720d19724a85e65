using System.Diagnostics;
using System.Text.Json.Nodes;
using GenCluster.Models.Runtime;

namespace GenCluster.Bench.Runtime;

/// <summary>
/// What one forward of T new tokens of one sequence costs over a warm cache (a speculative verification of T - 1
/// drafts has this shape; T = 1 is a decode step): best and median wall time of many passes, each rolled back.
/// </summary>
internal static class FusedPassCost
{
    public static JsonArray Measure(ICausalLM model, IReadOnlyList<int> tokenCounts, int past = 32, int repetitions = 60)
    {
        var rng = new Random(3);
        long Token() => rng.Next(3, model.Config.VocabSize);
        using var cache = model.CreateCache(1, past + tokenCounts.Max() + 1);
        using (model.Forward(ForwardRequest.Single(Enumerable.Range(0, past).Select(_ => Token()).ToArray()), cache)) { }
        var rows = new JsonArray();
        double? single = null;
        foreach (int count in tokenCounts)
        {
            var request = ForwardRequest.Single(Enumerable.Range(0, count).Select(_ => Token()).ToArray(), OutputPositions.All);
            var seconds = new List<double>();
            for (int r = -10; r < repetitions; r++) // the first ten warm up
            {
                var clock = Stopwatch.StartNew();
                using (model.Forward(request, cache)) { }
                if (r >= 0) seconds.Add(clock.Elapsed.TotalSeconds);
                cache.Truncate(past);
            }
            seconds.Sort();
            double best = seconds[0], median = seconds[seconds.Count / 2];
            single ??= best;
            Console.Error.WriteLine($"fused pass of {count} tokens: best {best * 1e3:F3} ms, median {median * 1e3:F3} ms, {best / single:F2}x the first");
            rows.Add(new JsonObject
            {
                ["tokens"] = count, ["best_ms"] = Math.Round(best * 1e3, 3), ["median_ms"] = Math.Round(median * 1e3, 3),
                ["best_vs_first"] = Math.Round(best / single.Value, 2),
            });
        }
        return rows;
    }
}
