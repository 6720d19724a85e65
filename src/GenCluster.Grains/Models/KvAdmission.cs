namespace GenCluster.Grains.Models;

/// <summary>
/// Admission control for a model's KV-cache budget: a session reserves its worst-case cache (rows x (prompt +
/// max_new_tokens)) up front; when the budget is used up it waits in FIFO order for releases, and is refused
/// with <see cref="CapacityExceededException"/> after the timeout. A request larger than the whole budget is refused at once.
/// </summary>
public sealed class KvAdmission(string model, long budget)
{
    readonly Dictionary<string, long> _admitted = [];
    readonly LinkedList<(string Session, long Tokens, TaskCompletionSource Ready)> _waiting = [];

    /// <summary>Token slots reserved by admitted sessions.</summary>
    public long Used => _admitted.Values.Sum();

    /// <summary>Sessions admitted.</summary>
    public int Admitted => _admitted.Count;

    /// <summary>Sessions waiting for room.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>Reserves <paramref name="tokens"/> for a session (again admitted at once if it already holds a reservation).</summary>
    public async Task AdmitAsync(string session, long tokens, TimeSpan timeout)
    {
        if (_admitted.ContainsKey(session)) return;
        if (tokens > budget)
            throw new CapacityExceededException($"model '{model}' cannot hold this request: it needs {tokens} KV-cache token slots, the budget is {budget} (lower max_new_tokens, n or the prompt length)");
        if (_waiting.Count == 0 && Used + tokens <= budget)
        {
            _admitted[session] = tokens;
            return;
        }
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var node = _waiting.AddLast((session, tokens, ready));
        if (await Task.WhenAny(ready.Task, Task.Delay(timeout)) == ready.Task) return;
        if (node.List is not null) _waiting.Remove(node);
        if (ready.Task.IsCompleted) return;
        throw new CapacityExceededException($"model '{model}' is at capacity ({Used} of {budget} KV-cache token slots in use by {Admitted} sessions, {Waiting} waiting); retry later");
    }

    /// <summary>Frees a session's reservation and admits the waiters that now fit, in order.</summary>
    public void Release(string session)
    {
        if (!_admitted.Remove(session)) return;
        while (_waiting.First is { } first && Used + first.Value.Tokens <= budget)
        {
            _waiting.RemoveFirst();
            _admitted[first.Value.Session] = first.Value.Tokens;
            first.Value.Ready.TrySetResult();
        }
    }
}
