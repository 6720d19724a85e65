using GenCluster.Sampling.Samplers;

namespace GenCluster.Sampling.Tests.Samplers;

public class CategoricalDrawTests
{
    static readonly double[] Weights = [0, 0.2, 0, 0.5, 0.3, 0];

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.199, 1)]
    [InlineData(0.2, 3)]
    [InlineData(0.69, 3)]
    [InlineData(0.7, 4)]
    [InlineData(0.9999999999, 4)]
    public void PickInvertsTheCumulativeDistributionInVocabularyOrder(double u, int expected) =>
        Assert.Equal(expected, CategoricalDraw.Pick(Weights, u));

    [Fact]
    public void PickAcceptsUnnormalisedWeights() => Assert.Equal(3, CategoricalDraw.Pick(Weights.Select(w => w * 7).ToArray(), 0.5));

    [Fact]
    public void ProbabilitiesAreSoftmaxWithZeroForMinusInfinity()
    {
        var p = CategoricalDraw.Probabilities([0f, float.NegativeInfinity, MathF.Log(3)]);
        Assert.Equal(0.25, p[0], 1e-7);
        Assert.Equal(0.0, p[1]);
        Assert.Equal(0.75, p[2], 1e-7);
    }

    [Fact]
    public void DrawFromScoresNeverReturnsAFilteredToken()
    {
        float[] scores = [float.NegativeInfinity, 1f, float.NegativeInfinity, 2f, float.NegativeInfinity];
        for (var i = 0; i < 1000; i++)
            Assert.Contains(CategoricalDraw.PickFromScores(scores, SeededUniform.Next(5, i)), new[] { 1, 3 });
    }

    [Fact]
    public void AllFilteredRowCannotBeSampled()
    {
        var e = Assert.Throws<InvalidOperationException>(() => CategoricalDraw.PickFromScores([float.NegativeInfinity, float.NegativeInfinity], 0.5));
        Assert.Contains("every score is -inf", e.Message);
    }
}
