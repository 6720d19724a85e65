using System.Collections.Concurrent;

namespace GenCluster.Grains.Models;

/// <summary>
/// The one thread that runs a model's forward passes, off the Orleans scheduler: sessions submit their decode
/// steps and get a task back, so the grain stays responsive (watchers, cancel) while the device works.
/// </summary>
/// <remarks>
/// Steps of concurrent sessions are served first-in first-out, one forward pass at a time; a decode loop re-queues
/// itself after each step, so sessions advance in turn (step-level interleaving, the simple form of continuous batching). Fusing the queued decode steps of
/// several sessions into one batched forward needs the sessions' KV caches to share one batch tensor (rows added
/// and removed between steps, as vLLM does); the queue is the place where that fusion goes.
/// </remarks>
public sealed class ModelExecutor : IDisposable
{
    readonly BlockingCollection<Action> _queue = new();
    readonly Thread _thread;

    /// <summary>Starts the executor thread for the named model.</summary>
    public ModelExecutor(string model)
    {
        _thread = new Thread(Drain) { IsBackground = true, Name = $"forward:{model}" };
        _thread.Start();
    }

    /// <summary>Steps waiting for the device.</summary>
    public int Queued => _queue.Count;

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
    /// Runs <paramref name="step"/> repeatedly on the executor thread until it returns false, re-queueing itself after
    /// each call so that the steps of concurrent sessions alternate (round-robin) and the device never waits for a grain turn.
    /// </summary>
    public Task RunLoopAsync(Func<bool> step)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Next()
        {
            try { _queue.Add(Run); }
            catch (InvalidOperationException) { done.TrySetException(new ObjectDisposedException(_thread.Name, "the model executor has stopped")); }
        }
        void Run()
        {
            bool more;
            try { more = step(); }
            catch (Exception e)
            {
                done.TrySetException(e);
                return;
            }
            if (more) Next();
            else done.TrySetResult();
        }
        Next();
        return done.Task;
    }

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
