namespace GenCluster.Training.LanguageModel;

/// <summary>One progress report of a training run; <see cref="ValidationLoss"/> is set only on evaluation steps.</summary>
public sealed record TrainingProgress(
    int Step, int TotalSteps, double Loss, double LearningRate, double TokensPerSecond, TimeSpan Eta, double? ValidationLoss = null)
{
    /// <summary>exp(validation loss), the per-token perplexity.</summary>
    public double? ValidationPerplexity => ValidationLoss is { } v ? Math.Exp(v) : null;

    /// <summary>A one-line human summary.</summary>
    public override string ToString() => ValidationLoss is { } v
        ? $"step {Step}/{TotalSteps}  validation loss {v:F4}  perplexity {Math.Exp(v):F2}"
        : $"step {Step}/{TotalSteps}  loss {Loss:F4}  lr {LearningRate:0.##e+0}  {TokensPerSecond:F0} tok/s  ETA {Eta:hh\\:mm\\:ss}";
}
