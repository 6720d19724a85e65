using GenCluster.Decoding.Medusa;

namespace GenCluster.Decoding.Tests.Medusa;

public class TypicalAcceptanceTests
{
    // H = -(0.7 ln 0.7 + 0.2 ln 0.2 + 0.1 ln 0.1) = 0.8018; delta * exp(-H) = 0.3 * 0.4485 = 0.1346.
    static readonly double[] P = [0.7, 0.2, 0.1, 0];

    [Fact]
    public void ThresholdIsTheSmallerOfEpsilonAndDeltaTimesExpOfMinusEntropy()
    {
        Assert.Equal(0.3 * Math.Exp(-0.80182), TypicalAcceptance.Threshold(P, 0.5, 0.3), 1e-5);
        Assert.Equal(0.09, TypicalAcceptance.Threshold(P, 0.09, 0.3), 12);
    }

    [Fact]
    public void FirstAcceptedIsTheFirstCandidateInOrderAboveTheThreshold()
    {
        Assert.Equal(1, TypicalAcceptance.FirstAccepted(P, [2, 1, 0], 0.5, 0.3)); // 0.1 < 0.1346 <= 0.2
        Assert.Equal(0, TypicalAcceptance.FirstAccepted(P, [2, 1, 0], 0.09, 0.3)); // epsilon 0.09 admits 0.1
        Assert.Equal(-1, TypicalAcceptance.FirstAccepted(P, [3, 2], 0.5, 0.3));
    }
}
