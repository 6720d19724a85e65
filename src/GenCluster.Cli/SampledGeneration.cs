using GenCluster.Decoding;

namespace GenCluster.Cli;

/// <summary>The sampling methods (greedy, top_k, top_p, ...): the streaming generation loop, optionally under a token constraint.</summary>
internal static class SampledGeneration
{
    public static async Task<int> RunAsync(GenerationContext c, Func<int, ITokenConstraint>? constraint, CancellationToken cancellation)
    {
        var request = new GenerationRequest
        {
            Prompts = [c.Prompt], Sampling = c.Sampling, EosTokenIds = c.EosTokenIds, UseKvCache = c.UseKvCache,
            Overflow = c.Overflow, Constraint = constraint, DefaultSeed = (ulong)Random.Shared.NextInt64(),
        };
        using var session = new GenerationSession(c.Loaded.Model, request, c.Text is null ? null : _ => c.Text.NewStream());
        var writer = new GenerationWriter(c.Json, c.Stdout, c.Stderr, c.Text is not null);
        await foreach (var e in GenerationStream.RunAsync(session, cancellation)) await writer.OnEventAsync(e);
        await writer.FinishAsync(session, c.Text);
        return 0;
    }
}
