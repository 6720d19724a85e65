using GenCluster.Training.LanguageModel;

namespace GenCluster.Training.Tests.LanguageModel;

public class LearningRateScheduleTests
{
    [Fact]
    public void WarmupRisesLinearlyToThePeak()
    {
        Assert.Equal(0.25, LearningRateSchedule.At(0, 4, 0, 1.0, 0.1), 12);
        Assert.Equal(1.0, LearningRateSchedule.At(3, 4, 0, 1.0, 0.1), 12);
    }

    [Fact]
    public void CosineFallsFromPeakThroughMidpointToFloor()
    {
        Assert.Equal(1.0, LearningRateSchedule.At(10, 4, 0.0, 1.0, 0.1), 12);
        Assert.Equal(0.55, LearningRateSchedule.At(10, 4, 0.5, 1.0, 0.1), 12);
        Assert.Equal(0.1, LearningRateSchedule.At(10, 4, 1.0, 1.0, 0.1), 12);
    }

    [Fact]
    public void ProgressFollowsStepsOrTheTimeBudgetWhicheverIsFurther()
    {
        Assert.Equal(0.5, LearningRateSchedule.Progress(55, 100, 10, 1000, null), 12);
        Assert.Equal(0.5, LearningRateSchedule.Progress(55, 100, 10, 30, budgetSeconds: 120), 12);
        Assert.Equal(0.75, LearningRateSchedule.Progress(55, 100, 10, 90, budgetSeconds: 120), 12);
        Assert.Equal(1.0, LearningRateSchedule.Progress(20, 100, 10, 500, budgetSeconds: 120), 12);
    }
}
