using System.Text.Json;
using GenCluster.Models.Runtime;
using GenCluster.TestSupport;

namespace GenCluster.Models.Tests;

/// <summary>The runtime against transformers 4.42.4 on the fixture checkpoints (golden/greedy.json).</summary>
public class GreedyConformanceTests
{
    const float LogitTolerance = 1e-4f;
    static readonly string[] ModelNames = ["llama-tiny", "gpt2-tiny", "qwen2-tiny", "llama-tiny-draft"];

    public static IEnumerable<object[]> Cases() =>
        from name in ModelNames from i in Enumerable.Range(0, 7) select new object[] { name, i };

    [Theory]
    [MemberData(nameof(Cases))]
    public void GreedyContinuationAndLogitsMatchTransformers(string modelName, int caseIndex)
    {
        using var golden = Fixtures.Golden("greedy.json");
        var c = golden.RootElement.GetProperty("models").GetProperty(modelName).GetProperty("cases")[caseIndex];
        using var loaded = ModelLoader.Load(Fixtures.Model(modelName));
        var prompt = Fixtures.ReadLongs(c.GetProperty("prompt"));
        var expected = Fixtures.ReadLongs(c.GetProperty("generated"));
        var (tokens, first, step5) = GreedyReference.Run(loaded.Model, prompt, 32, c.GetProperty("eos_token_id").GetInt64());

        AssertClose(Fixtures.ReadFloats(c.GetProperty("logits_prompt_last")), first);
        if (c.GetProperty("logits_step5").ValueKind == JsonValueKind.Array)
            AssertClose(Fixtures.ReadFloats(c.GetProperty("logits_step5")), step5!);
        Assert.Equal(expected, tokens);
        Assert.Equal(c.GetProperty("finish_reason").GetString(), tokens[^1] == c.GetProperty("eos_token_id").GetInt64() ? "eos" : "length");
    }

    [Theory]
    [MemberData(nameof(BatchedModels))]
    public void LeftPaddedBatchMatchesTransformers(string modelName)
    {
        using var golden = Fixtures.Golden("greedy.json");
        var b = golden.RootElement.GetProperty("models").GetProperty(modelName).GetProperty("batched");
        var rows = b.GetProperty("input_ids").EnumerateArray().Select(Fixtures.ReadLongs).ToArray();
        var mask = b.GetProperty("attention_mask").EnumerateArray().Select(Fixtures.ReadLongs).ToArray();
        var expected = b.GetProperty("generated").EnumerateArray().Select(Fixtures.ReadLongs).ToArray();
        using var loaded = ModelLoader.Load(Fixtures.Model(modelName));
        using var cache = loaded.Model.CreateCache(rows.Length);

        var request = new ForwardRequest(To2D(rows)) { AttentionMask = To2D(mask) };
        var generated = rows.Select(_ => new List<long>()).ToArray();
        for (int step = 0; step < expected[0].Length; step++)
        {
            using var result = loaded.Model.Forward(request, cache);
            var next = new long[rows.Length];
            for (int r = 0; r < rows.Length; r++)
            {
                var logits = result.Logits[r, -1].data<float>().ToArray();
                next[r] = Array.IndexOf(logits, logits.Max());
                generated[r].Add(next[r]);
            }
            request = ForwardRequest.Step(next);
        }
        // transformers pads finished rows with pad id 0 after their EOS; compare up to and including EOS.
        for (int r = 0; r < rows.Length; r++)
        {
            int end = Array.IndexOf(expected[r], 2L) is var e and >= 0 ? e + 1 : expected[r].Length;
            Assert.Equal(expected[r].Take(end), generated[r].Take(end));
        }
    }

    public static IEnumerable<object[]> BatchedModels() => ModelNames.Select(n => new object[] { n });

    [Theory]
    [InlineData("llama-tiny-sharded")]
    [InlineData("llama-tiny-bf16")]
    public void ShardedAndBf16CheckpointsMatchTransformers(string modelName)
    {
        using var golden = Fixtures.Golden("extras.json");
        using var loaded = ModelLoader.Load(Fixtures.Model(modelName));
        foreach (var c in golden.RootElement.GetProperty("models").GetProperty(modelName).GetProperty("cases").EnumerateArray())
        {
            var (tokens, first, _) = GreedyReference.Run(loaded.Model, Fixtures.ReadLongs(c.GetProperty("prompt")), 16, 2);
            AssertClose(Fixtures.ReadFloats(c.GetProperty("logits_prompt_last")), first);
            Assert.Equal(Fixtures.ReadLongs(c.GetProperty("generated")), tokens);
        }
    }

    internal static long[,] To2D(long[][] rows)
    {
        var a = new long[rows.Length, rows[0].Length];
        for (int r = 0; r < rows.Length; r++)
            for (int c = 0; c < rows[r].Length; c++) a[r, c] = rows[r][c];
        return a;
    }

    internal static void AssertClose(float[] expected, float[] actual, float tolerance = LogitTolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= tolerance, $"max |logit diff| {worst} exceeds {tolerance}");
    }
}
