using System.Text.Json;
using GenCluster.Sampling.Samplers;
using GenCluster.TestSupport;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Tests;

/// <summary>
/// The CPU row stages (ILogitsProcessor.ProcessRow, run by RowProcessing on CPU float32 rows) against the torch
/// stages. The transformers goldens run through both paths in <see cref="LogitsPipelineTests"/>.
/// </summary>
public class RowProcessingTests
{
    static readonly Lazy<JsonDocument> Sampling = new(() => Fixtures.Golden("sampling.json"));

    // Every stage at once; with min_tokens_to_keep 1 and 3 (the filters' keep rules differ).
    static SamplingParams Everything(int keep) => new()
    {
        DoSample = true, Temperature = 0.8, TopK = 200, TopP = 0.95, MinP = 0.02, TypicalP = 0.95, EpsilonCutoff = 1e-4,
        EtaCutoff = 1e-4, RepetitionPenalty = 1.1, PresencePenalty = 0.3, FrequencyPenalty = 0.3, NoRepeatNgramSize = 2,
        MinNewTokens = 9, MinTokensToKeep = keep, LogitBias = new Dictionary<long, double> { [7] = 3, [40] = -2.5 },
    };

    static (long[] Ids, float[] Scores) RandomRows(int seed, int rows, int width, int vocab)
    {
        var rng = new Random(seed);
        var ids = Enumerable.Range(0, rows * width).Select(_ => (long)rng.Next(40)).ToArray(); // few distinct ids: repeats and n-grams
        var scores = Enumerable.Range(0, rows * vocab).Select(_ => (float)(rng.NextDouble() * 12 - 6)).ToArray();
        return (ids, scores);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void EveryStageOnARowGivesTheTorchStageResultBitForBit(int keep)
    {
        const int rows = 3, width = 10, vocab = 700;
        var chain = (LogitsChain)LogitsPipeline.Build(Everything(keep), 4, [2, 5]);
        Assert.Equal(12, chain.Stages.Count);
        var (ids, data) = RandomRows(keep, rows, width, vocab);
        using var idsTensor = tensor(ids, new long[] { rows, width });
        using var scores = tensor(data, new long[] { rows, vocab });
        foreach (var stage in chain.Stages)
        {
            using var expected = stage.Process(idsTensor, scores);
            var actual = (float[])data.Clone();
            for (var r = 0; r < rows; r++) stage.ProcessRow(ids.AsSpan(r * width, width), actual.AsSpan(r * vocab, vocab));
            // Filters only write -inf and the arithmetic stages do torch's float32 steps: no tolerance needed.
            Assert.True(expected.data<float>().ToArray().SequenceEqual(actual), $"{stage.GetType().Name} (min_tokens_to_keep {keep}) differs from its torch form");
        }
    }

    [Fact]
    public void ChainOnCpuRowsEqualsTheTorchChainAndLeavesItsInputAlone()
    {
        const int rows = 2, width = 12, vocab = 512;
        var chain = LogitsPipeline.Build(Everything(1), 4, [2]);
        var (ids, data) = RandomRows(9, rows, width, vocab);
        // Row 1 as a JSON constraint leaves it: all but three tokens already -inf.
        for (var v = 0; v < vocab; v++) if (v is not (3 or 17 or 400)) data[vocab + v] = float.NegativeInfinity;
        using var scores = tensor(data, new long[] { rows, vocab });
        using var idsTensor = tensor(ids, new long[] { rows, width });
        using var expected = chain.Process(idsTensor, scores);
        using var inPlace = chain.Process(ids, width, scores);
        Assert.Equal(data, scores.data<float>().ToArray());
        Assert.Equal(expected.data<float>().ToArray(), inPlace.data<float>().ToArray());
        // Scores that cannot be read in place (not contiguous) take the torch stages, with the same result.
        using var strided = scores.t().contiguous().t();
        using var viaTorch = chain.Process(ids, width, strided);
        Assert.Equal(expected.data<float>().ToArray(), viaTorch.data<float>().ToArray());
    }

    /// <summary>
    /// Every sampling.json case (13 parameter sets x 4 prompts of llama-tiny logits): the draw of the seeded sampler
    /// from the CPU-processed row is the token it draws from the torch-processed row, for 500 seeds each.
    /// </summary>
    [Fact]
    public void SeededDrawsPickTheSameTokensOnCpuRowsAsOnTorchOnEveryGoldenCase()
    {
        var root = Sampling.Value.RootElement;
        int draws = 0, differ = 0;
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            var p = c.GetProperty("params");
            var prompt = root.GetProperty("prompts")[c.GetProperty("prompt_index").GetInt32()];
            var chain = LogitsPipeline.Build(GoldenParams.Read(p), GoldenParams.PromptLength(p), GoldenParams.EosTokenIds(p));
            var ids = Fixtures.ReadLongs(prompt.GetProperty("prompt"));
            var logits = Fixtures.ReadFloats(prompt.GetProperty("logits"));
            using var idsTensor = tensor(ids).unsqueeze(0);
            using var raw = tensor(logits).unsqueeze(0);
            using var viaTorch = chain.Process(idsTensor, raw);
            var torchRow = viaTorch.data<float>().ToArray();
            var cpuRow = (float[])logits.Clone();
            chain.ProcessRow(ids, cpuRow);
            for (ulong seed = 0; seed < 500; seed++, draws++)
            {
                var u = SeededUniform.Next(seed, 0);
                if (CategoricalDraw.PickFromScores(torchRow, u) != CategoricalDraw.PickFromScores(cpuRow, u)) differ++;
            }
        }
        Assert.Equal(52 * 500, draws);
        Assert.Equal(0, differ);
    }
}
