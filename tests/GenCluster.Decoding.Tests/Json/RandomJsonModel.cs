using System.Diagnostics;
using GenCluster.Decoding.Json;

namespace GenCluster.Decoding.Tests.Json;

/// <summary>
/// A model stand-in for end-to-end constrained generation: seeded random scores over the vocabulary, the argmax
/// taken under the constraint's mask. After <see cref="PatienceSteps"/> steps it favours tokens that close strings,
/// arrays and objects (and EOS), as a trained model eventually would, so that random walks through recursive
/// schemas end.
/// </summary>
public sealed class RandomJsonModel(JsonConstraint constraint, int seed)
{
    /// <summary>Steps of pure random scores before closers are favoured.</summary>
    public const int PatienceSteps = 120;

    /// <summary>Elapsed time of each AllowedTokens call of the last generation (read by bench/GenCluster.Bench.Json).</summary>
    public List<TimeSpan> MaskTimes { get; } = [];

    /// <summary>Generated token ids (EOS excluded) and the decoded text, or throws if the mask ever runs empty.</summary>
    public (List<int> Tokens, string Text) Generate(int maxSteps = 5000)
    {
        var random = new Random(seed);
        var vocabulary = constraint.Vocabulary;
        var state = constraint.Start();
        var tokens = new List<int>();
        MaskTimes.Clear();
        for (int step = 0; step < maxSteps; step++)
        {
            var started = Stopwatch.GetTimestamp();
            var mask = constraint.AllowedTokens(state);
            MaskTimes.Add(Stopwatch.GetElapsedTime(started));
            int best = -1;
            double bestScore = double.NegativeInfinity;
            foreach (var id in mask.AllowedIds())
            {
                var score = random.NextDouble() + (step > PatienceSteps ? Closing(vocabulary.Texts[id], vocabulary.EosIds.Contains(id)) : 0);
                if (score > bestScore) (best, bestScore) = (id, score);
            }
            if (best < 0) throw new InvalidOperationException($"empty mask after {string.Concat(tokens.Select(t => vocabulary.Texts[t]))}");
            if (vocabulary.EosIds.Contains(best)) return (tokens, string.Concat(tokens.Select(t => vocabulary.Texts[t])));
            tokens.Add(best);
            state = constraint.Advance(state, best);
        }
        throw new InvalidOperationException($"no EOS after {maxSteps} steps");
    }

    static double Closing(string? text, bool isEos) =>
        isEos ? 3 : text is not null && (text.Contains('"') || text.Contains('}') || text.Contains(']')) ? 1 : 0;
}
