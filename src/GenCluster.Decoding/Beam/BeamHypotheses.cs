namespace GenCluster.Decoding.Beam;

/// <summary>
/// The n-best list of finished hypotheses of one beam search, as transformers' <c>BeamHypotheses</c> (4.42): a
/// hypothesis scores sum_logprobs / generated_length^length_penalty, where generated_length counts the EOS token of
/// a hypothesis that finished on one; the list keeps the num_beams best and decides when the search is done.
/// </summary>
public sealed class BeamHypotheses(int numBeams, double lengthPenalty, BeamStopping stopping, int maxNewTokens, IEnumerable<BeamHypothesis>? kept = null)
{
    readonly List<BeamHypothesis> _beams = kept?.ToList() ?? [];

    /// <summary>The kept hypotheses, in insertion order (as transformers keeps them; order breaks score ties).</summary>
    public IReadOnlyList<BeamHypothesis> Kept => _beams;

    /// <summary>Lowest kept score (transformers' worst_score, 1e9 while empty).</summary>
    public double WorstScore => _beams.Count == 0 ? 1e9 : _beams.Min(b => b.Score);

    /// <summary>sum_logprobs / generated_length^length_penalty.</summary>
    public double Normalise(double sumLogprobs, int generatedLength) => sumLogprobs / Math.Pow(generatedLength, lengthPenalty);

    /// <summary>Offers a hypothesis; it is kept if the list is not full or it beats the worst, which then leaves.</summary>
    public void Add(long[] tokens, double sumLogprobs, int generatedLength, bool endsWithEos)
    {
        double score = Normalise(sumLogprobs, generatedLength);
        if (_beams.Count >= numBeams && score <= WorstScore) return;
        _beams.Add(new BeamHypothesis(tokens, score, endsWithEos));
        if (_beams.Count <= numBeams) return;
        // transformers sorts (score, index) pairs and deletes the first: the lowest score, the earliest on ties.
        int worst = 0;
        for (int i = 1; i < _beams.Count; i++) if (_beams[i].Score < _beams[worst].Score) worst = i;
        _beams.RemoveAt(worst);
    }

    /// <summary>
    /// Whether no running beam can improve the list, given the best running sum of log-probs at
    /// <paramref name="generatedLength"/> (transformers' is_done: true stops once full; false bounds the best
    /// attainable score at the current length; "never" at max length when length_penalty &gt; 0).
    /// </summary>
    public bool IsDone(double bestSumLogprobs, int generatedLength)
    {
        if (_beams.Count < numBeams) return false;
        if (stopping == BeamStopping.Early) return true;
        int length = stopping == BeamStopping.Never && lengthPenalty > 0 ? maxNewTokens : generatedLength;
        return WorstScore >= Normalise(bestSumLogprobs, length);
    }

    /// <summary>The <paramref name="count"/> best, best first (a stable sort popped from the end, as transformers' finalize).</summary>
    public IReadOnlyList<BeamHypothesis> Best(int count) =>
        _beams.Select((b, i) => (b, i)).OrderByDescending(x => x.b.Score).ThenByDescending(x => x.i).Take(count).Select(x => x.b).ToList();
}
