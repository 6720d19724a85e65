namespace GenCluster.Models.Runtime;

/// <summary>
/// One forward pass of a multi-cache batch: new tokens for the sequences of one KV cache. A host batching the decode
/// steps of several sessions (continuous batching) hands <see cref="ICausalLM.Forward(IReadOnlyList{CachedForward})"/>
/// one of these per session, each session keeping its own cache.
/// </summary>
public sealed record CachedForward(ForwardRequest Request, KvCache Cache)
{
    /// <summary>
    /// Runs <paramref name="groups"/> (consecutive runs of <paramref name="passes"/>) through <paramref name="run"/> in
    /// order, all or nothing: when a group throws, the results made so far are released and every cache is rolled back
    /// to its length before the batch, so a failed batch leaves the caches as they were and each pass can be retried alone.
    /// </summary>
    internal static IReadOnlyList<ForwardResult> RunAtomically(IReadOnlyList<CachedForward> passes, IEnumerable<int> groups,
        Func<IReadOnlyList<CachedForward>, IReadOnlyList<ForwardResult>> run)
    {
        RefuseSharedCaches(passes);
        var lengths = passes.Select(p => p.Cache.Length).ToArray();
        var results = new List<ForwardResult>(passes.Count);
        try
        {
            int first = 0;
            foreach (int size in groups)
            {
                var group = passes.Skip(first).Take(size).ToArray();
                results.AddRange(run(group));
                first += size;
            }
            if (first != passes.Count) throw new InvalidOperationException($"the groups cover {first} of {passes.Count} passes");
            return results;
        }
        catch
        {
            foreach (var result in results) result.Dispose();
            for (int i = 0; i < passes.Count; i++)
                if (passes[i].Cache.Length > lengths[i]) passes[i].Cache.Truncate(lengths[i]);
            throw;
        }
    }

    /// <summary>Every pass alone, in order, all or nothing (the fallback of models and paths that do not fuse passes).</summary>
    internal static IReadOnlyList<ForwardResult> OneByOne(ICausalLM model, IReadOnlyList<CachedForward> passes) =>
        RunAtomically(passes, passes.Select(_ => 1), group => [model.Forward(group[0].Request, group[0].Cache)]);

    /// <summary>Two passes over one cache in the same batch would both write the slots after its end.</summary>
    static void RefuseSharedCaches(IReadOnlyList<CachedForward> passes)
    {
        var seen = new HashSet<KvCache>();
        foreach (var pass in passes)
            if (!seen.Add(pass.Cache))
                throw new ArgumentException("a multi-cache batch has two passes over the same KV cache; run them one after the other", nameof(passes));
    }
}
