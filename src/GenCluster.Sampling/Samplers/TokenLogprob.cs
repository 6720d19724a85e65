namespace GenCluster.Sampling.Samplers;

/// <summary>A token and its raw model log-probability (log_softmax of the unprocessed logits, T = 1).</summary>
public readonly record struct TokenLogprob(long TokenId, float Logprob);
