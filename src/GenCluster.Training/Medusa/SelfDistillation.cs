using GenCluster.Models.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Training.Medusa;

/// <summary>
/// Training windows the frozen model writes itself (Medusa's self-distillation, Cai et al. 2024, section 2.3.2): each
/// window starts with a few tokens of the data at a random place and continues with the model's own greedy (or
/// sampled) tokens, generated 8 windows at a time with one KV cache.
/// </summary>
public static class SelfDistillation
{
    const int Rows = 8;

    /// <summary>
    /// <paramref name="count"/> windows of <paramref name="length"/> tokens, back to back (window i starts at i · length);
    /// deterministic for a seed.
    /// </summary>
    public static long[] Windows(ICausalLM model, long[] data, int count, int promptTokens, int length, double temperature, int seed)
    {
        if (promptTokens < 1 || promptTokens >= length)
            throw new ArgumentException($"self-distillation prompts must have 1 to {length - 1} tokens (windows of {length}), got {promptTokens}");
        if (count < 1) throw new ArgumentException($"self-distillation needs at least one window, got {count}");
        if (data.Length < promptTokens) throw new ArgumentException($"the data has {data.Length} tokens, fewer than one prompt of {promptTokens}");
        var random = new Random(seed);
        using var generator = new Generator((ulong)seed);
        var inverseTemperature = temperature > 0 ? (1.0 / temperature).ToScalar() : null; // held: see HeldScalars
        var windows = new long[(long)count * length];
        for (int first = 0; first < count; first += Rows)
        {
            int rows = Math.Min(Rows, count - first);
            var prompts = new long[rows, promptTokens];
            for (int r = 0; r < rows; r++)
            {
                int start = random.Next(data.Length - promptTokens + 1);
                for (int t = 0; t < promptTokens; t++) windows[(long)(first + r) * length + t] = prompts[r, t] = data[start + t];
            }
            using var cache = model.CreateCache(rows, length);
            var request = new ForwardRequest(prompts);
            for (int t = promptTokens; t < length; t++)
            {
                using var scope = NewDisposeScope();
                var logits = model.Forward(request, cache).Logits.select(1, -1); // [rows, vocab]
                var chosen = inverseTemperature is null
                    ? logits.argmax(-1)
                    : logits.mul(inverseTemperature).softmax(-1).multinomial(1, generator: generator).squeeze(-1);
                var next = chosen.data<long>().ToArray();
                for (int r = 0; r < rows; r++) windows[(long)(first + r) * length + t] = next[r];
                request = ForwardRequest.Step(next);
            }
        }
        GC.KeepAlive(inverseTemperature);
        return windows;
    }
}
