using GenCluster.Models;
using GenCluster.Sampling;
using GenCluster.TestSupport;

namespace GenCluster.Decoding.Tests;

/// <summary>The generation loop against transformers' greedy outputs, and its stopping, batching and resume rules.</summary>
public class GenerationSessionTests
{
    static List<GenerationEvent> RunAll(GenerationSession s)
    {
        var events = new List<GenerationEvent>();
        while (!s.IsFinished) events.AddRange(s.Step());
        return events;
    }

    static GenerationRequest Request(IReadOnlyList<long> prompt, SamplingParams p, params long[] eos) =>
        new() { Prompts = [prompt], Sampling = p, EosTokenIds = eos };

    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("gpt2-tiny")]
    [InlineData("qwen2-tiny")]
    public void GreedyMatchesTransformersWithAndWithoutKvCache(string modelName)
    {
        using var golden = Fixtures.Golden("greedy.json");
        using var loaded = ModelLoader.Load(Fixtures.Model(modelName));
        foreach (var c in golden.RootElement.GetProperty("models").GetProperty(modelName).GetProperty("cases").EnumerateArray().Take(4))
        {
            var prompt = Fixtures.ReadLongs(c.GetProperty("prompt"));
            var expected = Fixtures.ReadLongs(c.GetProperty("generated"));
            long eos = c.GetProperty("eos_token_id").GetInt64();
            foreach (var cached in new[] { true, false })
            {
                using var s = new GenerationSession(loaded.Model, Request(prompt, new SamplingParams { MaxNewTokens = 32 }, eos) with { UseKvCache = cached });
                var events = RunAll(s);
                Assert.Equal(expected, s.Generated(0));
                Assert.Equal(c.GetProperty("finish_reason").GetString(), GenerationEvent.Name(s.FinishOf(0)!.Value));
                Assert.Equal(expected.Length, events.Count);
                Assert.Equal(expected.Length, s.Stats.ForwardPasses);
            }
        }
    }

    [Fact]
    public void StopsOnEosAndReportsIt()
    {
        using var golden = Fixtures.Golden("greedy.json");
        var c = golden.RootElement.GetProperty("models").GetProperty("llama-tiny").GetProperty("cases")[6];
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var s = new GenerationSession(loaded.Model, Request(Fixtures.ReadLongs(c.GetProperty("prompt")), new SamplingParams { MaxNewTokens = 32 }, c.GetProperty("eos_token_id").GetInt64()));
        var events = RunAll(s);
        Assert.Equal(Fixtures.ReadLongs(c.GetProperty("generated")), s.Generated(0));
        Assert.Equal(FinishReason.Eos, events[^1].Finish);
        Assert.Equal(c.GetProperty("eos_token_id").GetInt64(), s.Generated(0)[^1]);
    }

    [Fact]
    public void PromptsOfDifferentLengthsBatchTogetherAndMatchTheirSoloRuns()
    {
        using var golden = Fixtures.Golden("greedy.json");
        var cases = golden.RootElement.GetProperty("models").GetProperty("llama-tiny").GetProperty("cases");
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var prompts = Enumerable.Range(0, 4).Select(i => (IReadOnlyList<long>)Fixtures.ReadLongs(cases[i].GetProperty("prompt"))).ToArray();
        using var s = new GenerationSession(loaded.Model, new GenerationRequest { Prompts = prompts, Sampling = new SamplingParams { MaxNewTokens = 32 }, EosTokenIds = [2] });
        RunAll(s);
        for (int i = 0; i < 4; i++) Assert.Equal(Fixtures.ReadLongs(cases[i].GetProperty("generated")), s.Generated(i));
        Assert.Equal(32, s.Stats.ForwardPasses);
    }

    [Fact]
    public void SeededSamplesAreReproducibleDistinctAndResumable()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var p = new SamplingParams { DoSample = true, Temperature = 1.0, TopK = 40, Seed = 1234, N = 3, MaxNewTokens = 20 };
        var request = Request([5, 6, 7], p);
        using var first = new GenerationSession(loaded.Model, request);
        RunAll(first);
        using var again = new GenerationSession(loaded.Model, request);
        RunAll(again);
        for (int i = 0; i < 3; i++) Assert.Equal(first.Generated(i), again.Generated(i));
        Assert.NotEqual(first.Generated(0), first.Generated(1));

        // A session rebuilt from the first 7 tokens of each sample continues exactly as the uninterrupted run.
        var prefix = Enumerable.Range(0, 3).Select(i => (IReadOnlyList<long>)first.Generated(i).Take(7).ToArray()).ToArray();
        using var resumed = new GenerationSession(loaded.Model, request, resumeFrom: prefix);
        RunAll(resumed);
        for (int i = 0; i < 3; i++) Assert.Equal(first.Generated(i), resumed.Generated(i));
    }

    [Fact]
    public void StopTokenIdsEndWithFinishReasonStop()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        // Greedy from [360] emits 66 438 323 62 ...: stopping on 323 ends after three tokens.
        using var s = new GenerationSession(loaded.Model, Request([360], new SamplingParams { MaxNewTokens = 32, StopTokenIds = [323] }, 2));
        RunAll(s);
        Assert.Equal(new long[] { 66, 438, 323 }, s.Generated(0));
        Assert.Equal(FinishReason.Stop, s.FinishOf(0));
    }

    [Fact]
    public void StopStringsEndTheTextBeforeTheStopString()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        // A text stream that renders token t as "<t>" makes stop strings testable without a tokenizer.
        using var s = new GenerationSession(loaded.Model, Request([360], new SamplingParams { MaxNewTokens = 32, Stop = ["<323>"] }, 2), _ => new AngleIds());
        var text = string.Concat(RunAll(s).Select(e => e.TextDelta));
        Assert.Equal("<66><438>", text);
        Assert.Equal(FinishReason.Stop, s.FinishOf(0));
    }

    [Fact]
    public void ContextOverflowPolicies()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny")); // 256 positions
        var prompt = Enumerable.Range(3, 250).Select(i => (long)(i % 500)).ToArray();
        var p = new SamplingParams { MaxNewTokens = 20 };
        var e = Assert.Throws<ContextOverflowException>(() => new GenerationSession(loaded.Model, Request(prompt, p)));
        Assert.Contains("256", e.Message);

        using var truncated = new GenerationSession(loaded.Model, Request(prompt, p) with { Overflow = ContextOverflow.TruncateLeft });
        Assert.Equal(236, truncated.PromptOf(0).Count);
        RunAll(truncated);
        Assert.Equal(20, truncated.Generated(0).Count);

        using var slide = new GenerationSession(loaded.Model, Request(prompt, p) with { Overflow = ContextOverflow.Slide });
        RunAll(slide);
        Assert.Equal(20, slide.Generated(0).Count);
        // The first 6 tokens fit the window, so they equal an unconstrained run's.
        using var plain = new GenerationSession(loaded.Model, Request(prompt, p with { MaxNewTokens = 6 }));
        RunAll(plain);
        Assert.Equal(plain.Generated(0), slide.Generated(0).Take(6));
    }

    [Fact]
    public async Task CancellationEndsRunningSequences()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var s = new GenerationSession(loaded.Model, Request([360], new SamplingParams { MaxNewTokens = 200 }));
        using var cts = new CancellationTokenSource();
        var events = new List<GenerationEvent>();
        await foreach (var e in GenerationStream.RunAsync(s, cts.Token))
        {
            events.Add(e);
            if (events.Count == 5) cts.Cancel();
        }
        Assert.Equal(FinishReason.Cancelled, events[^1].Finish);
        Assert.Equal(5, s.Generated(0).Count);
    }

    [Fact]
    public void OutOfVocabularyPromptIsRejected()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var e = Assert.Throws<ArgumentException>(() => new GenerationSession(loaded.Model, Request([1, 512], new SamplingParams())));
        Assert.Contains("512", e.Message);
    }

    sealed class AngleIds : ITextStream
    {
        public string Push(long tokenId) => $"<{tokenId}>";
        public string Flush() => "";
    }
}
