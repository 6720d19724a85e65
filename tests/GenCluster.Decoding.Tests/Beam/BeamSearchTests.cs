using System.Text.Json;
using GenCluster.Decoding.Beam;
using GenCluster.Models;
using GenCluster.Sampling;
using GenCluster.TestSupport;

namespace GenCluster.Decoding.Tests.Beam;

/// <summary>Beam search against transformers 4.42's generate(num_beams=...) on the fixture models, and its persistable state.</summary>
public class BeamSearchTests
{
    /// <summary>A golden case as a request.</summary>
    static BeamSearchRequest Request(BeamGoldenCase c) => new()
    {
        Prompt = c.Prompt, NumBeams = c.NumBeams, LengthPenalty = c.LengthPenalty, EarlyStopping = BeamSearchRequest.ParseStopping(c.EarlyStopping),
        NumReturnSequences = c.NumReturnSequences, Sampling = new SamplingParams { MaxNewTokens = c.MaxNewTokens }, EosTokenIds = [c.EosTokenId],
    };

    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("gpt2-tiny")]
    public void SequencesAndScoresMatchTransformersOnAllGoldenCases(string modelName)
    {
        using var loaded = ModelLoader.Load(Fixtures.Model(modelName));
        int n = 0;
        foreach (var c in BeamGolden.Cases(modelName))
        {
            var (request, sequences, scores) = (Request(c), c.Sequences, c.Scores);
            using var search = new BeamSearch(loaded.Model, request);
            var result = search.Run();
            Assert.True(sequences.Length == result.Count, $"case {n}: {result.Count} sequences, expected {sequences.Length}");
            for (int i = 0; i < result.Count; i++)
            {
                Assert.True(sequences[i].SequenceEqual(result[i].Tokens), $"case {n} sequence {i}: [{string.Join(",", result[i].Tokens)}] expected [{string.Join(",", sequences[i])}]");
                Assert.True(Math.Abs(scores[i] - result[i].Score) <= 1e-4, $"case {n} sequence {i}: score {result[i].Score} expected {scores[i]}");
                Assert.Equal(c.EndsWithEos[i], result[i].EndsWithEos);
            }
            n++;
        }
        Assert.Equal(28, n);
    }

    [Fact]
    public void ARebuiltStateContinuesAsTheUninterruptedSearch()
    {
        var c = BeamGolden.Cases("gpt2-tiny")[1]; // 4 beams, 4 returned, one ends on EOS
        var (request, sequences, scores) = (Request(c), c.Sequences, c.Scores);
        using var loaded = ModelLoader.Load(Fixtures.Model("gpt2-tiny"));
        string saved;
        using (var first = new BeamSearch(loaded.Model, request))
        {
            for (int i = 0; i < 7; i++) first.Step();
            Assert.False(first.IsFinished);
            saved = JsonSerializer.Serialize(first.State);
        }
        var state = JsonSerializer.Deserialize<BeamState>(saved)!;
        Assert.Equal(7, state.Step);
        using var rebuilt = new BeamSearch(loaded.Model, request, state);
        var result = rebuilt.Run();
        Assert.Equal(sequences, result.Select(r => r.Tokens).ToArray());
        for (int i = 0; i < scores.Length; i++) Assert.InRange(result[i].Score, scores[i] - 1e-4, scores[i] + 1e-4);
        Assert.Equal(request.Sampling.MaxNewTokens - 7, rebuilt.ForwardPasses);
    }

    [Fact]
    public void ProgressReportsEveryStepAndEndsWithTheBestHypothesis()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var request = new BeamSearchRequest { Prompt = [5, 6, 7], NumBeams = 3, Sampling = new SamplingParams { MaxNewTokens = 12 } };
        var reports = new List<BeamProgress>();
        using var search = new BeamSearch(loaded.Model, request);
        var result = search.Run(new SynchronousProgress(reports.Add));
        Assert.Equal(Enumerable.Range(1, 12), reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.Equal(r.Step, r.BestTokens.Length));
        Assert.True(reports[^1].IsFinished);
        Assert.Equal(result[0].Tokens, reports[^1].BestTokens);
        Assert.Equal(12, search.ForwardPasses);
    }

    [Fact]
    public async Task TheAsyncStreamYieldsEveryStepAndStopsOnCancellationWithAResumableState()
    {
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        var request = new BeamSearchRequest { Prompt = [5, 6, 7], NumBeams = 2, Sampling = new SamplingParams { MaxNewTokens = 10 } };
        using var whole = new BeamSearch(loaded.Model, request);
        var steps = new List<int>();
        await foreach (var p in BeamStream.RunAsync(whole)) steps.Add(p.Step);
        Assert.Equal(Enumerable.Range(1, 10), steps);

        using var cancelled = new BeamSearch(loaded.Model, request);
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var p in BeamStream.RunAsync(cancelled, cts.Token))
                if (p.Step == 4) cts.Cancel();
        });
        Assert.Equal(4, cancelled.State.Step);
        using var resumed = new BeamSearch(loaded.Model, request, cancelled.State);
        Assert.Equal(whole.Result().Select(h => h.Tokens), resumed.Run().Select(h => h.Tokens));
    }

    [Theory]
    [InlineData(0, 1, 1.0, "num_beams")]
    [InlineData(2, 3, 1.0, "num_return_sequences")]
    [InlineData(2, 1, double.NaN, "length_penalty")]
    public void InvalidParametersAreRejectedByName(int beams, int returned, double penalty, string field)
    {
        var request = new BeamSearchRequest { Prompt = [1], NumBeams = beams, NumReturnSequences = returned, LengthPenalty = penalty };
        Assert.Contains(field, Assert.Throws<BeamSearchParamsException>(() => request.Validate()).Message);
    }

    [Fact]
    public void SamplingStopStringsAndUnknownStoppingValuesAreRejected()
    {
        Assert.Throws<BeamSearchParamsException>(() => new BeamSearchRequest { Prompt = [1], Sampling = new SamplingParams { DoSample = true } }.Validate());
        Assert.Contains("stop", Assert.Throws<BeamSearchParamsException>(() => new BeamSearchRequest { Prompt = [1], Sampling = new SamplingParams { Stop = ["."] } }.Validate()).Message);
        Assert.Contains("never", Assert.Throws<BeamSearchParamsException>(() => BeamSearchRequest.ParseStopping("sometimes")).Message);
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    sealed class SynchronousProgress(Action<BeamProgress> report) : IProgress<BeamProgress>
    {
        public void Report(BeamProgress value) => report(value);
    }
}
