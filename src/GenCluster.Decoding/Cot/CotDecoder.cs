using GenCluster.Models.Runtime;

namespace GenCluster.Decoding.Cot;

/// <summary>
/// Chain-of-thought decoding (Wang &amp; Zhou 2024, arXiv 2402.10200): branch on the top-k first tokens, continue each
/// greedily (all branches as rows of one batched <see cref="GenerationSession"/>), find each branch's answer, and
/// score it by Δ = mean over the answer's tokens of p(top-1) - p(top-2) under the model's distribution at that
/// position. Branches rank by Δ; the aggregated variant sums Δ per distinct answer. <see cref="CotRun"/> is the same
/// decoding one forward pass at a time.
/// </summary>
/// <param name="model">The model.</param>
/// <param name="textStream">A fresh detokenizer for one branch (the answer is found in text).</param>
public sealed class CotDecoder(ICausalLM model, Func<ITextStream> textStream)
{
    /// <summary>Decodes every branch and ranks them; <paramref name="aggregate"/> picks the answer by summed confidence.</summary>
    public CotResult Run(CotRequest request, bool aggregate = false, CancellationToken cancellation = default)
    {
        using var run = new CotRun(model, request, textStream);
        while (!run.IsFinished)
        {
            if (cancellation.IsCancellationRequested) run.Cancel();
            else run.Step();
        }
        return run.Result(aggregate);
    }

    /// <summary>p(top-1) - p(top-2) from the two largest log-probs (1 when the vocabulary has a single token).</summary>
    public static double Margin(IReadOnlyList<double> topLogprobs) =>
        topLogprobs.Count < 2 ? 1 : Math.Exp(topLogprobs[0]) - Math.Exp(topLogprobs[1]);
}
