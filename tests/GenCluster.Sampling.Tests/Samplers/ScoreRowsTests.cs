using GenCluster.Sampling.Samplers;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Tests.Samplers;

public class ScoreRowsTests
{
    // A filtered row: mostly -inf (the slow lanes of Vector256.Exp), a few finite entries, one far below the rest.
    static float[] FilteredRow()
    {
        var row = Enumerable.Repeat(float.NegativeInfinity, 203).ToArray();
        row[0] = 1.5f;
        row[9] = -2f;
        row[100] = 3.25f;
        row[150] = -900f; // exp(-903.25) underflows float64: 0
        row[202] = 0.5f;  // in the scalar tail
        return row;
    }

    [Fact]
    public void ExpShiftedIsExpOfTheShiftedScoresWithZeroForMinusInfinityAndUnderflow()
    {
        var row = FilteredRow();
        var w = new double[row.Length];
        var sum = ScoreRows.ExpShifted(row, 3.25f, w);
        for (int i = 0; i < row.Length; i++)
            Assert.Equal(Math.Exp(row[i] - 3.25), w[i], 1e-15);
        Assert.Equal(w.Sum(), sum, 1e-15);
        Assert.Equal(1.0, w[100]);
    }

    [Fact]
    public void LogSumExpOfAFilteredRowMatchesTorch()
    {
        var row = FilteredRow();
        using var t = tensor(row);
        Assert.Equal(t.logsumexp(0).item<float>(), ScoreRows.LogSumExp(row), 1e-6f);
        Assert.Equal(float.NegativeInfinity, ScoreRows.LogSumExp(Enumerable.Repeat(float.NegativeInfinity, 16).ToArray()));
    }
}
