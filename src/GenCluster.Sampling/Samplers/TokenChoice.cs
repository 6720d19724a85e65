namespace GenCluster.Sampling.Samplers;

/// <summary>The token chosen for one row at one step, with its log-probabilities.</summary>
/// <param name="TokenId">The chosen token.</param>
/// <param name="Score">Its log-probability under the processed distribution (log_softmax of the processed scores) the choice was made from.</param>
/// <param name="Logprob">Its raw model log-probability: log_softmax of the unprocessed logits at T = 1 (OpenAI's "logprob").</param>
/// <param name="TopLogprobs">The most likely tokens by raw log-probability, best first (empty unless asked for).</param>
public sealed record TokenChoice(long TokenId, float Score, float Logprob, IReadOnlyList<TokenLogprob> TopLogprobs);
