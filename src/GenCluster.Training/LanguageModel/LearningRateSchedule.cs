namespace GenCluster.Training.LanguageModel;

/// <summary>Linear warmup then cosine decay to a floor (Loshchilov and Hutter 2017, SGDR without restarts).</summary>
public static class LearningRateSchedule
{
    /// <summary>lr = peak * (step+1)/warmup during warmup, then min + (peak-min) * (1 + cos(pi * progress)) / 2.</summary>
    /// <param name="step">Steps done so far.</param>
    /// <param name="warmupSteps">Length of the linear warmup.</param>
    /// <param name="progress">Fraction of the run done after warmup, in [0, 1] (see <see cref="Progress"/>).</param>
    /// <param name="peak">Learning rate at the end of warmup.</param>
    /// <param name="min">Learning rate at the end of the run.</param>
    public static double At(int step, int warmupSteps, double progress, double peak, double min)
    {
        if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
        return min + (peak - min) * 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(progress, 0, 1)));
    }

    /// <summary>How far the run is: the larger of the post-warmup step fraction and, with a time budget, the elapsed-time fraction.</summary>
    /// <remarks>The time term lets a run on a shared machine finish its cosine decay on schedule however fast it goes.</remarks>
    public static double Progress(int step, int totalSteps, int warmupSteps, double elapsedSeconds, double? budgetSeconds)
    {
        var byStep = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
        var byTime = budgetSeconds is { } budget ? elapsedSeconds / budget : 0;
        return Math.Clamp(Math.Max(byStep, byTime), 0, 1);
    }
}
