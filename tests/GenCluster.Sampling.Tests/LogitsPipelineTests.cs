using System.Text.Json;
using GenCluster.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Tests;

public class LogitsPipelineTests
{
    static readonly Lazy<JsonDocument> Processors = new(() => Fixtures.Golden("logits_processors.json"));
    static readonly Lazy<JsonDocument> Sampling = new(() => Fixtures.Golden("sampling.json"));

    // Each case runs through the torch stages and through the CPU row stages (RowProcessing picks those for CPU float32 rows).
    public static TheoryData<string, bool> ProcessorCases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var c in Processors.Value.RootElement.GetProperty("cases").EnumerateArray())
            foreach (var inPlace in new[] { false, true })
                data.Add(c.GetProperty("name").GetString()!, inPlace);
        return data;
    }

    public static TheoryData<int, bool> SamplingCases()
    {
        var data = new TheoryData<int, bool>();
        for (var i = 0; i < Sampling.Value.RootElement.GetProperty("cases").GetArrayLength(); i++)
            foreach (var inPlace in new[] { false, true })
                data.Add(i, inPlace);
        return data;
    }

    /// <summary>The chain's output on the torch stages, or on the CPU row stages through <see cref="RowProcessing"/>.</summary>
    static Tensor Process(ILogitsProcessor chain, long[,] ids, Tensor scores, bool inPlace)
    {
        if (inPlace) return chain.Process(ids.Cast<long>().ToArray(), ids.GetLength(1), scores);
        using var idsTensor = tensor(ids);
        return chain.Process(idsTensor, scores);
    }

    [Theory]
    [MemberData(nameof(ProcessorCases))]
    public void MatchesTransformersProcessorsOnGoldenCase(string name, bool inPlace)
    {
        var c = Processors.Value.RootElement.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var p = c.GetProperty("params");
        var chain = LogitsPipeline.Build(GoldenParams.Read(p), GoldenParams.PromptLength(p), GoldenParams.EosTokenIds(p));
        using var scores = tensor(Rows(c.GetProperty("scores"), Fixtures.ReadFloats));
        var before = scores.data<float>().ToArray();
        using var processed = Process(chain, Rows(c.GetProperty("input_ids"), Fixtures.ReadLongs), scores, inPlace);
        Assert.Equal(before, scores.data<float>().ToArray()); // the input scores are left as they were
        var expected = Rows(c.GetProperty("expected"), Fixtures.ReadFloats);
        for (var row = 0; row < expected.GetLength(0); row++)
            ScoresAssert.Equal(Row(expected, row), processed[row].data<float>().ToArray(), 1e-5, $"{name} row {row}");
    }

    [Theory]
    [MemberData(nameof(SamplingCases))]
    public void SoftmaxOfProcessedLogitsMatchesTransformersSamplingDistribution(int index, bool inPlace)
    {
        var root = Sampling.Value.RootElement;
        var c = root.GetProperty("cases")[index];
        var p = c.GetProperty("params");
        var prompt = root.GetProperty("prompts")[c.GetProperty("prompt_index").GetInt32()];
        var chain = LogitsPipeline.Build(GoldenParams.Read(p), GoldenParams.PromptLength(p), GoldenParams.EosTokenIds(p));
        var ids = Fixtures.ReadLongs(prompt.GetProperty("prompt"));
        using var logits = tensor(Fixtures.ReadFloats(prompt.GetProperty("logits"))).unsqueeze(0);
        using var processed = Process(chain, Row(ids), logits, inPlace);
        using var probs = processed.softmax(-1);
        var actual = probs[0].data<float>().ToArray();
        var expected = Fixtures.ReadFloats(c.GetProperty("probs"));
        Assert.Equal(c.GetProperty("n_kept").GetInt32(), actual.Count(x => x > 0));
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-5, $"set {c.GetProperty("set")} prompt {c.GetProperty("prompt_index")}: max |diff| {worst:E2}");
    }

    static T[,] Rows<T>(JsonElement rows, Func<JsonElement, T[]> read)
    {
        var list = rows.EnumerateArray().Select(read).ToArray();
        var result = new T[list.Length, list[0].Length];
        for (var r = 0; r < list.Length; r++)
            for (var c = 0; c < list[r].Length; c++)
                result[r, c] = list[r][c];
        return result;
    }

    static long[,] Row(long[] ids)
    {
        var m = new long[1, ids.Length];
        for (var i = 0; i < ids.Length; i++) m[0, i] = ids[i];
        return m;
    }

    static float[] Row(float[,] m, int row) => Enumerable.Range(0, m.GetLength(1)).Select(c => m[row, c]).ToArray();
}
