using GenCluster.Models.Runtime;
using static TorchSharp.torch;

namespace GenCluster.Grains.Models;

/// <summary>
/// Continuous batching of the sessions decoding on one model: each round advances every active loop by one step, and
/// the steps that are plain decode passes run as one multi-cache forward (<see cref="ICausalLM.Forward(IReadOnlyList{CachedForward})"/>,
/// on the CPU one fused pass whose products take every session's rows). Loops join and leave between rounds.
/// </summary>
/// <remarks>
/// A round only gathers what the loops have at that moment, so no session ever waits for another to submit: a loop
/// that finishes, is cancelled or fails simply is not asked again. The batched forward is all or nothing; if it throws,
/// each pass is retried alone, so a failing request fails only its own session. Exceptions of a loop end that loop alone.
/// </remarks>
internal sealed class DecodeRounds(ICausalLM? model, bool batch)
{
    sealed record Member(IDecodeLoop Loop, TaskCompletionSource Done);

    readonly List<Member> _loops = [];
    long _batchedPasses, _batchedForwards;
    int _count;

    /// <summary>Loops still running (any thread may read it).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Passes that ran batched with others so far (any thread may read it).</summary>
    public long BatchedPasses => Interlocked.Read(ref _batchedPasses);

    /// <summary>Batched forwards so far, each carrying two or more sessions' passes (any thread may read it).</summary>
    public long BatchedForwards => Interlocked.Read(ref _batchedForwards);

    /// <summary>Adds a loop; it takes its first step in the next round. <paramref name="done"/> completes when it ends or fails.</summary>
    public void Add(IDecodeLoop loop, TaskCompletionSource done)
    {
        _loops.Add(new Member(loop, done));
        Volatile.Write(ref _count, _loops.Count);
    }

    /// <summary>Fails every loop (the executor stopped).</summary>
    public void Abandon(Exception reason)
    {
        foreach (var (_, done) in _loops) done.TrySetException(reason);
        _loops.Clear();
        Volatile.Write(ref _count, 0);
    }

    /// <summary>One step of every loop: the steps that run alone, then the shared passes as one forward.</summary>
    public void Run()
    {
        var shared = new List<(Member Entry, CachedForward Pass)>();
        // A lone loop takes its plain step: nothing to share, and no pass to hand over and back.
        bool batching = batch && model is not null && _loops.Count > 1;
        foreach (var entry in _loops.ToArray())
        {
            CachedForward? pass = null;
            bool going = Advance(entry, () =>
            {
                pass = batching ? entry.Loop.NextForward() : null;
                return pass is not null || entry.Loop.Step();
            });
            if (going && pass is not null) shared.Add((entry, pass));
        }
        if (shared.Count == 0) return;
        using var scope = NewDisposeScope();
        var results = Forward(shared.Select(s => s.Pass).ToArray());
        for (int i = 0; i < shared.Count; i++)
        {
            var (entry, pass) = shared[i];
            Advance(entry, () => entry.Loop.Step(results?[i] ?? model!.Forward(pass.Request, pass.Cache)));
        }
    }

    /// <summary>The passes as one forward, or null when they must run one by one (a single pass, or the batch failed).</summary>
    IReadOnlyList<ForwardResult>? Forward(CachedForward[] passes)
    {
        if (passes.Length < 2) return null;
        try
        {
            var results = model!.Forward(passes);
            Interlocked.Add(ref _batchedPasses, passes.Length);
            Interlocked.Increment(ref _batchedForwards);
            return results;
        }
        catch (Exception)
        {
            // All or nothing: no cache has grown, and each pass alone finds out whose request it was.
            return null;
        }
    }

    /// <summary>Runs a step of a loop; true while the loop goes on, false once it has ended or failed (and left the rounds).</summary>
    bool Advance(Member entry, Func<bool> step)
    {
        try
        {
            if (step()) return true;
            entry.Done.TrySetResult();
        }
        catch (Exception e)
        {
            entry.Done.TrySetException(e);
        }
        _loops.Remove(entry);
        Volatile.Write(ref _count, _loops.Count);
        return false;
    }
}
