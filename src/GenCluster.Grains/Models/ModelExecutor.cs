using System.Collections.Concurrent;
using GenCluster.Models.Runtime;

namespace GenCluster.Grains.Models;

/// <summary>
/// The one thread that runs a model's forward passes, off the Orleans scheduler: sessions submit their decode
/// steps and get a task back, so the grain stays responsive (watchers, cancel) while the device works.
/// </summary>
/// <remarks>
/// Continuous batching across sessions (as vLLM and TGI serve): the sessions' decode loops (<see cref="IDecodeLoop"/>)
/// advance together in rounds (<see cref="DecodeRounds"/>). Each round asks every active loop for the forward pass its
/// next step needs, runs all of those as one multi-cache forward (<see cref="ICausalLM.Forward(IReadOnlyList{CachedForward})"/>)
/// and hands each loop its result to sample from; steps with no pass to share (a prefill, a cancellation, beam search,
/// speculative and Medusa rounds) run alone in the same round. Each session keeps its own KV cache: on the CPU the
/// fused Llama pass takes the new tokens of every cache as rows of one set of products and attends each row against
/// its own cache, so no batch tensor has to be rebuilt as sessions join and leave; other devices and architectures run
/// the passes one after another with the same results. One-off work (a draft model's forward for another model's
/// session, cache setup) is queued first-in first-out between rounds.
/// </remarks>
public sealed class ModelExecutor : IDisposable
{
    readonly BlockingCollection<Action> _queue = new();
    readonly Thread _thread;
    readonly DecodeRounds _rounds;
    bool _roundQueued; // touched on the executor thread only

    /// <summary>
    /// Starts the executor thread for the named model; <paramref name="network"/> runs the batched decode passes (without
    /// it, or with <paramref name="batchDecodeSteps"/> false, every loop's step runs alone, round-robin).
    /// </summary>
    public ModelExecutor(string model, ICausalLM? network = null, bool batchDecodeSteps = true)
    {
        _rounds = new DecodeRounds(network, batchDecodeSteps);
        _thread = new Thread(Drain) { IsBackground = true, Name = $"forward:{model}" };
        _thread.Start();
    }

    /// <summary>Steps waiting for the device: queued one-off work plus one step of every running decode loop.</summary>
    public int Queued => _queue.Count + _rounds.Count;

    /// <summary>Runs <paramref name="work"/> on the executor thread.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add(() =>
        {
            try { done.SetResult(work()); }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task;
    }

    /// <summary>Runs <paramref name="work"/> on the executor thread and waits for it (at once when called from that thread).</summary>
    public T Invoke<T>(Func<T> work) => Thread.CurrentThread == _thread ? work() : RunAsync(work).GetAwaiter().GetResult();

    /// <summary>
    /// Runs <paramref name="loop"/> on the executor thread, one step per round with the other sessions' loops (their
    /// decode passes batched into one forward), until it ends; the task completes then, or fails with the loop's error.
    /// </summary>
    public Task RunLoopAsync(IDecodeLoop loop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _queue.Add(() =>
            {
                _rounds.Add(loop, done);
                QueueRound();
            });
        }
        catch (InvalidOperationException) { done.TrySetException(Stopped()); }
        return done.Task;
    }

    /// <summary>Decode passes that ran batched with other sessions' passes so far.</summary>
    public long BatchedPasses => _rounds.BatchedPasses;

    /// <summary>Batched forwards run so far (each carrying two or more sessions' decode passes).</summary>
    public long BatchedForwards => _rounds.BatchedForwards;

    // A round re-queues itself behind the work that arrived meanwhile (draft forwards, new loops), so one-off work
    // waits at most one round and loops that join mid-run take their first step in the next round.
    void QueueRound()
    {
        if (_roundQueued) return;
        try
        {
            _queue.Add(Round);
            _roundQueued = true;
        }
        catch (InvalidOperationException) { _rounds.Abandon(Stopped()); }
    }

    void Round()
    {
        _roundQueued = false;
        _rounds.Run();
        if (_rounds.Count > 0) QueueRound();
    }

    ObjectDisposedException Stopped() => new(_thread.Name, "the model executor has stopped");

    void Drain()
    {
        foreach (var work in _queue.GetConsumingEnumerable()) work();
    }

    /// <summary>Takes no more work and waits up to <paramref name="timeout"/> for the queued work; false if the thread is still busy.</summary>
    public bool Stop(TimeSpan timeout)
    {
        _queue.CompleteAdding();
        return _thread.Join(timeout);
    }

    /// <summary>Stops the thread (waiting up to 5 s for queued work); a thread still busy keeps its queue.</summary>
    public void Dispose()
    {
        if (Stop(TimeSpan.FromSeconds(5))) _queue.Dispose();
    }
}
