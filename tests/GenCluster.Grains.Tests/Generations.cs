using GenCluster.Decoding;
using GenCluster.Models;
using GenCluster.Sampling;
using GenCluster.TestSupport;

namespace GenCluster.Grains.Tests;

/// <summary>Orders for the fixture model and the tokens the decoding library produces for them in-process (the reference).</summary>
public static class Generations
{
    /// <summary>A token-id prompt for llama-tiny.</summary>
    public static readonly long[] Prompt = [1, 15, 42, 7, 99];

    /// <summary>An order for <paramref name="model"/> with the given sampling.</summary>
    public static GenerationOrder Order(SamplingSpec sampling, string model = TestCluster.Model, bool cancelOnDisconnect = false) =>
        new() { Model = model, Prompts = [Prompt], Sampling = sampling, DefaultSeed = 3, CancelOnDisconnect = cancelOnDisconnect };

    /// <summary>Seeded sampling that runs exactly <paramref name="tokens"/> tokens (EOS suppressed).</summary>
    public static SamplingSpec Sampled(int tokens, ulong seed = 7) =>
        new() { DoSample = true, Temperature = 1.0, Seed = seed, MaxNewTokens = tokens, MinNewTokens = tokens };

    /// <summary>Token ids of an uninterrupted in-process run of the same request on the same model (llama-tiny unless <paramref name="modelDir"/> says).</summary>
    public static long[] Reference(GenerationOrder order, string? modelDir = null)
    {
        using var loaded = ModelLoader.Load(modelDir ?? Fixtures.Model("llama-tiny"));
        var s = order.Sampling;
        var request = new GenerationRequest
        {
            Prompts = order.Prompts, DefaultSeed = order.DefaultSeed, EosTokenIds = loaded.EosTokenIds,
            Sampling = new SamplingParams { DoSample = s.DoSample, Temperature = s.Temperature, Seed = s.Seed, MaxNewTokens = s.MaxNewTokens, MinNewTokens = s.MinNewTokens },
        };
        using var session = new GenerationSession(loaded.Model, request);
        while (!session.IsFinished) session.Step();
        return session.Generated(0).ToArray();
    }

    /// <summary>Reads a watch stream to its end.</summary>
    public static async Task<List<TokenEvent>> ReadAllAsync(IAsyncEnumerable<TokenEvent[]> batches)
    {
        var all = new List<TokenEvent>();
        await foreach (var e in Events(batches)) all.Add(e);
        return all;
    }

    /// <summary>A watch stream's events one by one.</summary>
    public static async IAsyncEnumerable<TokenEvent> Events(IAsyncEnumerable<TokenEvent[]> batches)
    {
        await foreach (var batch in batches)
            foreach (var e in batch) yield return e;
    }
}
