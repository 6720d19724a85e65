using GenCluster.Training.LanguageModel;

namespace GenCluster.Training.Tests;

/// <summary>Keeps every progress report, in order, and optionally reacts to each on the training thread.</summary>
public sealed class RecordingProgress(Action<TrainingProgress>? onReport = null) : IProgress<TrainingProgress>
{
    /// <summary>The reports so far.</summary>
    public List<TrainingProgress> Reports { get; } = [];

    /// <inheritdoc/>
    public void Report(TrainingProgress value)
    {
        Reports.Add(value);
        onReport?.Invoke(value);
    }
}
