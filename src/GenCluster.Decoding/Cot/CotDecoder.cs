using GenCluster.Models.Runtime;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Cot;

/// <summary>
/// Chain-of-thought decoding (Wang &amp; Zhou 2024, arXiv 2402.10200): branch on the top-k first tokens, continue each
/// greedily (all branches as rows of one batched <see cref="GenerationSession"/>), find each branch's answer, and
/// score it by Δ = mean over the answer's tokens of p(top-1) - p(top-2) under the model's distribution at that
/// position. Branches rank by Δ; the aggregated variant sums Δ per distinct answer.
/// </summary>
/// <param name="model">The model.</param>
/// <param name="textStream">A fresh detokenizer for one branch (the answer is found in text).</param>
public sealed class CotDecoder(ICausalLM model, Func<ITextStream> textStream)
{
    /// <summary>Decodes every branch and ranks them; <paramref name="aggregate"/> picks the answer by summed confidence.</summary>
    public CotResult Run(CotRequest request, bool aggregate = false, CancellationToken cancellation = default)
    {
        request.Validate();
        var prompt = ContextWindow.Fit(request.Prompt, request.Sampling.MaxNewTokens, model.Config.MaxPositions, request.Overflow);
        var (first, firstMargin) = FirstTokens(prompt, Math.Min(request.Branches, model.Config.VocabSize));
        var generation = new GenerationRequest
        {
            Prompts = [prompt], EosTokenIds = request.EosTokenIds, Overflow = request.Overflow,
            Sampling = request.Sampling with { DoSample = false, N = first.Length, TopLogprobs = 2, Seed = 0 },
        };
        var margins = first.Select(_ => new List<double> { firstMargin }).ToArray();
        using var session = new GenerationSession(model, generation, _ => textStream(), first.Select(t => (IReadOnlyList<long>)[t]).ToArray());
        while (!session.IsFinished)
        {
            var events = cancellation.IsCancellationRequested ? session.Cancel() : session.Step();
            foreach (var e in events.Where(e => e.TokenId >= 0)) margins[e.Sequence].Add(Margin(e.TopLogprobs.Select(t => (double)t.Logprob).ToArray()));
        }
        var pattern = AnswerSpan.Compile(request.AnswerPattern);
        var branches = Enumerable.Range(0, first.Length)
            .Select(i => Branch(i, session.Generated(i).ToArray(), margins[i], pattern, session.FinishOf(i)))
            .OrderByDescending(b => b.Confidence).ThenBy(b => b.Rank).ToList();
        var aggregated = branches.Where(b => b.Answer is not null).GroupBy(b => b.Answer!)
            .Select(g => new CotAnswer(g.Key, g.Sum(b => b.Confidence), g.Count()))
            .OrderByDescending(a => a.Confidence).ToList();
        var answer = aggregate ? aggregated.FirstOrDefault()?.Answer : branches.FirstOrDefault(b => b.Answer is not null)?.Answer;
        return new CotResult(branches, aggregated, answer, session.Stats.ForwardPasses + 1); // + the prompt's pass that chose the branches
    }

    /// <summary>The k most likely first tokens and the margin p(top-1) - p(top-2) at that position.</summary>
    (long[] Tokens, double Margin) FirstTokens(long[] prompt, int k)
    {
        using var scope = NewDisposeScope();
        using var cache = model.CreateCache(1, prompt.Length);
        using var result = model.Forward(ForwardRequest.Single(prompt), cache);
        var logprobs = result.Logits.select(1, 0).select(0, 0).to(float32).log_softmax(0).cpu();
        var (values, indices) = logprobs.topk(Math.Max(k, Math.Min(2, (int)logprobs.shape[0])));
        var top = values.data<float>().Select(v => (double)v).ToArray();
        return (indices.data<long>().Take(k).ToArray(), Margin(top));
    }

    /// <summary>p(top-1) - p(top-2) from the two largest log-probs (1 when the vocabulary has a single token).</summary>
    public static double Margin(IReadOnlyList<double> topLogprobs) =>
        topLogprobs.Count < 2 ? 1 : Math.Exp(topLogprobs[0]) - Math.Exp(topLogprobs[1]);

    CotBranch Branch(int rank, long[] tokens, List<double> margins, System.Text.RegularExpressions.Regex pattern, FinishReason? finish)
    {
        var stream = textStream();
        var pieces = tokens.Select(t => stream.Push(t)).ToList();
        var tail = stream.Flush();
        if (pieces.Count > 0) pieces[^1] += tail;
        var text = string.Concat(pieces);
        if (AnswerSpan.Find(pattern, text) is not { } span) return new CotBranch(rank, tokens[0], tokens, text, null, 0, finish);
        var answerTokens = AnswerSpan.Tokens(pieces, span.Start, span.End);
        double confidence = answerTokens.Count == 0 ? 0 : answerTokens.Average(i => margins[i]);
        return new CotBranch(rank, tokens[0], tokens, text, span.Value, confidence, finish);
    }
}
