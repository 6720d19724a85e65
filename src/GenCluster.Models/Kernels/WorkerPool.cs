namespace GenCluster.Models.Kernels;

/// <summary>
/// Persistent worker threads for the decode kernels. A decode step makes hundreds of small parallel calls, too
/// many for task scheduling: the caller publishes a job, workers that spin briefly (then sleep) claim chunks
/// through the job's own counter, and the caller works too until every chunk is done. A worker that wakes late
/// holds the finished job, whose counter is exhausted, so it can never run a chunk twice or of the wrong job.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    sealed class Job(Action<int> action, int chunks)
    {
        public readonly Action<int> Action = action;
        public readonly int Chunks = chunks;
        public int Next;
        public int Pending = chunks;

        public void Drain()
        {
            int c;
            while ((c = Interlocked.Increment(ref Next) - 1) < Chunks)
            {
                Action(c);
                Interlocked.Decrement(ref Pending);
            }
        }
    }

    readonly Thread[] _threads;
    readonly ManualResetEventSlim _wake = new(false);
    readonly object _gate = new();
    Job? _current;
    volatile bool _stopping;

    /// <summary>
    /// The process-wide pool: one thread per core, the caller's included. libtorch's own intra-op threads are also one
    /// per core; the two never work at once on the decode path (see Kernels/README.md, "CPU threads").
    /// </summary>
    public static WorkerPool Shared { get; } = new(Math.Max(1, Environment.ProcessorCount));

    /// <summary>Total threads that run chunks, the caller included.</summary>
    public int Parallelism { get; }

    /// <summary>Starts <paramref name="parallelism"/> - 1 background threads.</summary>
    public WorkerPool(int parallelism)
    {
        Parallelism = Math.Max(1, parallelism);
        _threads = new Thread[Parallelism - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"gencluster-kernel-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Runs <paramref name="action"/>(0 .. chunks-1) across the pool and returns when all are done.</summary>
    public void Run(int chunks, Action<int> action)
    {
        if (chunks <= 0) return;
        if (chunks == 1 || _threads.Length == 0)
        {
            for (int c = 0; c < chunks; c++) action(c);
            return;
        }
        lock (_gate)
        {
            var job = new Job(action, chunks);
            Volatile.Write(ref _current, job);
            _wake.Set();
            job.Drain();
            var spin = new SpinWait();
            while (Volatile.Read(ref job.Pending) > 0) spin.SpinOnce(-1);
            _wake.Reset();
        }
    }

    void Work()
    {
        Job? last = null;
        while (!_stopping)
        {
            // Spin a little for the next job (decode steps come back to back), then sleep on the event.
            var spin = new SpinWait();
            Job? job;
            while ((job = Volatile.Read(ref _current)) == last && !_stopping)
            {
                if (spin.Count > 1000) _wake.Wait(20);
                else spin.SpinOnce(-1);
            }
            last = job;
            job?.Drain();
        }
    }

    /// <summary>Stops the threads.</summary>
    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        foreach (var t in _threads) t.Join();
        _wake.Dispose();
    }
}
