using GenCluster.Models;
using GenCluster.Models.Runtime;
using GenCluster.Models.Text;
using static TorchSharp.torch;

namespace GenCluster.Training.Evaluation;

/// <summary>How often a draft model's greedy proposals match the target's greedy choices (speculative decoding, Leviathan et al. 2023, greedy case).</summary>
/// <param name="Proposed">Draft tokens proposed (K per round).</param>
/// <param name="Accepted">Proposed tokens the target accepted (the longest prefix equal to its own greedy tokens).</param>
/// <param name="Rounds">Verification rounds, i.e. target forward passes.</param>
/// <param name="Generated">Tokens generated (accepted ones plus one target token per round).</param>
/// <param name="Outputs">The generated tokens of each prompt (the target's greedy continuation).</param>
public sealed record DraftAcceptance(int Proposed, int Accepted, int Rounds, int Generated, IReadOnlyList<long[]> Outputs)
{
    /// <summary>Accepted / proposed.</summary>
    public double Rate => (double)Accepted / Proposed;

    /// <summary>Tokens produced per target forward pass.</summary>
    public double TokensPerRound => (double)Generated / Rounds;

    /// <summary>Runs greedy speculative decoding with <paramref name="k"/> draft tokens per round from each prompt until
    /// <paramref name="newTokens"/> tokens are generated; the output equals the target's own greedy output by construction.</summary>
    public static DraftAcceptance Measure(ICausalLM target, ICausalLM draft, IEnumerable<long[]> prompts, int newTokens, int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), $"k must be at least 1, got {k}");
        int proposed = 0, accepted = 0, rounds = 0, generated = 0;
        var outputs = new List<long[]>();
        foreach (var prompt in prompts)
        {
            using var targetCache = new CachedSequence(target);
            using var draftCache = new CachedSequence(draft);
            var sequence = new List<long>(prompt);
            var goal = prompt.Length + newTokens;
            while (sequence.Count < goal)
            {
                var proposal = new List<long>();
                for (var i = 0; i < k; i++) proposal.Add(draftCache.Greedy([.. sequence, .. proposal], 1)[0]);
                // One target pass scores all K proposals: choice j is the target's token after proposal[..j].
                var choices = targetCache.Greedy([.. sequence, .. proposal], k + 1);
                var agreed = 0;
                while (agreed < k && proposal[agreed] == choices[agreed]) agreed++;
                var step = proposal.Take(agreed).Append(choices[agreed]).Take(goal - sequence.Count).ToList();
                sequence.AddRange(step);
                (proposed, accepted, rounds, generated) = (proposed + k, accepted + agreed, rounds + 1, generated + step.Count);
            }
            outputs.Add([.. sequence.Skip(prompt.Length)]);
        }
        return new DraftAcceptance(proposed, accepted, rounds, generated, outputs);
    }

    /// <summary>Measures a draft folder against a target folder on prompts cut from evenly spaced lines of a text file
    /// (BOS + the first <paramref name="promptTokens"/> tokens of each line), as reported in the model cards.</summary>
    public static DraftAcceptance Measure(string targetDir, string draftDir, string textFile, int prompts = 20, int promptTokens = 8,
        int newTokens = 48, int k = 4)
    {
        var tokenizer = HfTokenizer.Load(targetDir);
        var lines = File.ReadLines(textFile).Where(l => l.Length > 0).ToList();
        var chosen = Enumerable.Range(0, prompts).Select(i => lines[i * lines.Count / prompts])
            .Select(l => tokenizer.Encode(l).Take(promptTokens + 1).Select(id => (long)id).ToArray());
        using var target = ModelLoader.Load(targetDir);
        using var draft = ModelLoader.Load(draftDir);
        return Measure(target.Model, draft.Model, chosen, newTokens, k);
    }

    /// <summary>A model's KV cache over a token sequence that grows and is cut back when proposals are rejected.</summary>
    sealed class CachedSequence(ICausalLM model) : IDisposable
    {
        readonly KvCache cache = model.CreateCache(1);
        readonly List<long> cached = [];

        /// <summary>Argmax tokens at the last <paramref name="count"/> positions of <paramref name="ids"/>, feeding only what the cache lacks.</summary>
        public long[] Greedy(long[] ids, int count)
        {
            var keep = 0;
            while (keep < cached.Count && keep < ids.Length - count && cached[keep] == ids[keep]) keep++;
            cache.Truncate(keep);
            cached.RemoveRange(keep, cached.Count - keep);
            var fresh = ids[keep..];
            using var scope = NewDisposeScope();
            using var result = model.Forward(ForwardRequest.Single(fresh, OutputPositions.All), cache);
            cached.AddRange(fresh);
            return result.Logits[0].narrow(0, fresh.Length - count, count).argmax(-1).data<long>().ToArray();
        }

        public void Dispose() => cache.Dispose();
    }
}
