using GenCluster.Models.Runtime;
using static TorchSharp.torch;

namespace GenCluster.Models.Tests;

/// <summary>A bare greedy loop over the runtime (the Decoding project has the real one); used to check the model against transformers.</summary>
internal static class GreedyReference
{
    public static (List<long> Tokens, float[] FirstLogits, float[]? Step5Logits) Run(ICausalLM model, IReadOnlyList<long> prompt, int maxNew, long eos)
    {
        using var cache = model.CreateCache(1);
        var tokens = new List<long>();
        float[] first = [];
        float[]? step5 = null;
        var request = ForwardRequest.Single(prompt);
        for (int step = 0; step < maxNew; step++)
        {
            using var result = model.Forward(request, cache);
            var logits = result.Logits[0, -1].data<float>().ToArray();
            if (step == 0) first = logits;
            if (step == 5) step5 = logits;
            long next = Array.IndexOf(logits, logits.Max());
            tokens.Add(next);
            if (next == eos) break;
            request = ForwardRequest.Step([next]);
        }
        return (tokens, first, step5);
    }
}
