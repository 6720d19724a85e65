using System.Threading.Channels;
using GenCluster.Decoding;
using GenCluster.Decoding.Beam;
using GenCluster.Grains.Models;
using GenCluster.Grains.Sessions;
using GenCluster.Models;
using GenCluster.Models.Runtime;
using GenCluster.Sampling;
using GenCluster.TestSupport;

namespace GenCluster.Grains.Tests;

/// <summary>
/// Continuous batching in the model executor, on the real fixture model with the session grain's own loop
/// (<see cref="SessionDecodeLoop"/> over a <see cref="StreamedRun"/>): concurrent sessions' decode steps share forwards,
/// and every session gets the tokens it gets alone, whoever joins, leaves, is cancelled or fails.
/// </summary>
public sealed class ModelExecutorTests : IDisposable
{
    readonly LoadedModel _loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));

    public void Dispose() => _loaded.Dispose();

    static readonly long[][] Prompts = [[1, 15, 42, 7, 99], [3, 8], [12, 40, 41, 9, 77, 5, 5, 61], [200, 31, 17]];

    GenerationRequest Request(int i, bool sampled, int tokens) => new()
    {
        Prompts = [Prompts[i % Prompts.Length]], EosTokenIds = _loaded.EosTokenIds, DefaultSeed = (ulong)(10 + i),
        Sampling = new SamplingParams { DoSample = sampled, Temperature = 0.9, MaxNewTokens = tokens, MinNewTokens = tokens, N = i == 1 ? 2 : 1 },
    };

    /// <summary>Every sequence's tokens when the request runs alone, in-process.</summary>
    long[][] Alone(GenerationRequest request)
    {
        using var session = new GenerationSession(_loaded.Model, request);
        while (!session.IsFinished) session.Step();
        return Enumerable.Range(0, session.SequenceCount).Select(s => session.Generated(s).ToArray()).ToArray();
    }

    /// <summary>A session's decode loop on the executor, as the session grain runs it; the tokens it logged per sequence.</summary>
    sealed class Session(ISessionRun run, int sequences, Func<bool>? cancelling = null)
    {
        readonly Channel<StepOutput> _outputs = Channel.CreateUnbounded<StepOutput>();

        public Session(GenerationSession generation, Func<bool>? cancelling = null) : this(new StreamedRun(generation), generation.SequenceCount, cancelling) { }

        public Task Start(ModelExecutor executor) =>
            executor.RunLoopAsync(new SessionDecodeLoop(run, _outputs.Writer, () => false, cancelling ?? (() => false)));

        public long[][] Tokens()
        {
            var events = new List<GenerationEvent>();
            while (_outputs.Reader.TryRead(out var output)) events.AddRange(output.Events);
            return Enumerable.Range(0, sequences).Select(s => events.Where(e => e.Sequence == s && e.TokenId >= 0).Select(e => e.TokenId).ToArray()).ToArray();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the A/B switch: every step alone, round-robin
    public async Task ConcurrentSessionsGetTheirAloneTokensAndShareForwards(bool batch)
    {
        var requests = Enumerable.Range(0, 4).Select(i => Request(i, sampled: i % 2 == 1, tokens: 20 + 9 * i)).ToArray();
        var expected = requests.Select(Alone).ToArray();
        using var executor = new ModelExecutor("test", _loaded.Model, batch);
        var sessions = requests.Select(r => new Session(new GenerationSession(_loaded.Model, r))).ToArray();
        // Two start together, one joins while they run, the last after the first has left.
        var first = sessions.Take(3).Select(s => s.Start(executor)).ToList();
        await first[0];
        await sessions[3].Start(executor);
        await Task.WhenAll(first);

        for (int i = 0; i < sessions.Length; i++) Assert.Equal(expected[i], sessions[i].Tokens());
        if (batch) Assert.True(executor.BatchedForwards > 0 && executor.BatchedPasses >= 2 * executor.BatchedForwards);
        else Assert.Equal(0, executor.BatchedForwards);
    }

    [Fact]
    public async Task AFailingPassFailsOnlyItsOwnSession()
    {
        var requests = Enumerable.Range(0, 3).Select(i => Request(i, sampled: i == 2, tokens: 30)).ToArray();
        var expected = requests.Select(Alone).ToArray();
        using var executor = new ModelExecutor("test", _loaded.Model);
        var sessions = requests.Select(r => new Session(new GenerationSession(_loaded.Model, r))).ToArray();
        var running = sessions.Select(s => s.Start(executor)).ToArray();
        var failing = executor.RunLoopAsync(new OutOfVocabularyLoop(_loaded.Model));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => failing);
        await Task.WhenAll(running);
        for (int i = 0; i < sessions.Length; i++) Assert.Equal(expected[i], sessions[i].Tokens());
    }

    [Fact]
    public async Task ACancelledSessionLeavesAndTheOthersFinish()
    {
        var requests = Enumerable.Range(0, 3).Select(i => Request(i, sampled: false, tokens: 40)).ToArray();
        var expected = requests.Select(Alone).ToArray();
        using var executor = new ModelExecutor("test", _loaded.Model);
        var generation = new GenerationSession(_loaded.Model, requests[0]);
        var cancelled = new Session(generation, () => generation.Generated(0).Count >= 10);
        var others = requests.Skip(1).Select(r => new Session(new GenerationSession(_loaded.Model, r))).ToArray();
        var running = others.Select(s => s.Start(executor)).Prepend(cancelled.Start(executor)).ToArray();

        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(FinishReason.Cancelled, generation.FinishOf(0));
        Assert.Equal(expected[0][0][..10], cancelled.Tokens()[0]);
        for (int i = 0; i < others.Length; i++) Assert.Equal(expected[i + 1], others[i].Tokens());
    }

    [Fact]
    public async Task AStrategyThatStepsAloneSharesRoundsWithBatchedSessions()
    {
        var requests = Enumerable.Range(0, 2).Select(i => Request(i, sampled: i == 1, tokens: 30)).ToArray();
        var expected = requests.Select(Alone).ToArray();
        var beamRequest = new BeamSearchRequest { Prompt = Prompts[2], NumBeams = 3, NumReturnSequences = 2, Sampling = new SamplingParams { MaxNewTokens = 14 }, EosTokenIds = _loaded.EosTokenIds };
        using var reference = new BeamSearch(_loaded.Model, beamRequest);
        var hypotheses = reference.Run().Select(h => h.Tokens.ToArray()).ToArray();
        using var executor = new ModelExecutor("test", _loaded.Model);
        var beam = new Session(new BeamRun(new BeamSearch(_loaded.Model, beamRequest), null), 2);
        var sessions = requests.Select(r => new Session(new GenerationSession(_loaded.Model, r))).ToArray();

        await Task.WhenAll(sessions.Select(s => s.Start(executor)).Append(beam.Start(executor)));
        Assert.Equal(hypotheses, beam.Tokens());
        for (int i = 0; i < sessions.Length; i++) Assert.Equal(expected[i], sessions[i].Tokens());
        Assert.True(executor.BatchedForwards > 0);
    }

    /// <summary>A session whose decode pass carries a token id outside the vocabulary: the model refuses it.</summary>
    sealed class OutOfVocabularyLoop(ICausalLM model) : IDecodeLoop
    {
        readonly KvCache _cache = model.CreateCache(1);
        bool _prefilled;

        public CachedForward? NextForward() => _prefilled ? new CachedForward(ForwardRequest.Step([model.Config.VocabSize + 3]), _cache) : null;

        public bool Step()
        {
            model.Forward(ForwardRequest.Single([1, 2, 3]), _cache).Dispose();
            return _prefilled = true;
        }

        public bool Step(ForwardResult forward) => throw new InvalidOperationException("the pass should have failed");
    }
}
