using System.Runtime.CompilerServices;
using System.Threading.Channels;
using GenCluster.Decoding;
using GenCluster.Grains.Hosting;
using GenCluster.Grains.Models;
using GenCluster.Grains.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace GenCluster.Grains.Sessions;

/// <summary>
/// One generation. Placed on a silo serving its model (and its draft and Medusa heads), it runs the order's decoding
/// strategy (<see cref="SessionRuns"/>) one step at a time on the model's executor, appends the tokens to its event
/// log, wakes its watchers, and persists every few tokens (or beam steps) and at the end. Activated again elsewhere
/// (silo failure, reminder, a watcher's Resume) it rebuilds the run from the persisted log and beam checkpoint and
/// continues; since every draw is addressed by (seed, step) the continuation is the one an uninterrupted run produces.
/// </summary>
[ModelAffinityPlacement]
public sealed partial class SessionGrain(
    [PersistentState("session", ClusterStorage.SessionStore)] IPersistentState<SessionRecord> record,
    IOptions<ModelHostingOptions> options, ILocalSiloDetails silo, ModelCatalog catalog, ILogger<SessionGrain> log) : Grain, ISessionGrain, IRemindable
{
    readonly ILogger _logger = log;
    const string KeepRunning = "keep-running";

    ISessionRun? _run;
    SessionLog _log = null!;
    ModelLease? _lease;
    string? _draft; // the draft model admitted beside the target, for speculative decoding
    Task? _loop;
    // Read by the decode loop on the executor thread.
    volatile bool _cancelRequested, _stopping;
    int _watchers, _sinceWrite;
    SessionStats _statsBefore = new();
    TaskCompletionSource _changed = NewSignal();
    // Completed when this activation's run ends: a watcher's linger ends with it, so the last tokens go at once.
    readonly TaskCompletionSource _ended = NewSignal();

    SessionRecord State => record.State;
    string Id => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellation)
    {
        _log = new SessionLog(ServiceProvider.GetRequiredKeyedService<IGrainStorage>(ClusterStorage.SessionStore), this.GetGrainId());
        if (State.Order is null) return;
        await _log.LoadAsync(State);
        if (State.Status == SessionStatus.Running && !Expired()) await ResumeAsync();
    }

    /// <inheritdoc />
    public async Task<SessionInfo> Start(GenerationOrder order)
    {
        if (State.Order is not null) return Info();
        if (order.Model != SessionId.ModelOf(Id))
            throw new InvalidRequestException("model", $"model '{order.Model}' does not match session id '{Id}'");
        OrderTranslation.Validate(order.Decoding);
        State.Order = order;
        State.Status = SessionStatus.Running;
        State.Activations = 1;
        try { await OpenAsync(); }
        catch
        {
            record.State = new SessionRecord();
            throw;
        }
        await PersistAsync();
        await this.RegisterOrUpdateReminder(KeepRunning, options.Value.ResumeCheckPeriod, options.Value.ResumeCheckPeriod);
        _loop = RunAsync();
        return Info();
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<TokenEvent[]> Watch(int fromIndex, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        await EnsureLiveAsync();
        if (fromIndex < 0) throw new InvalidRequestException("from_index", $"from_index must be >= 0, got {fromIndex}");
        _watchers++;
        bool completed = false;
        try
        {
            int next = fromIndex;
            while (true)
            {
                var events = _log.Events;
                if (next < events.Count)
                {
                    // Everything logged since the last batch, at once: while a batch is on its way the next one fills up.
                    int count = Math.Min(events.Count - next, Math.Max(1, options.Value.MaxEventsPerBatch));
                    var batch = new TokenEvent[count];
                    for (int i = 0; i < count; i++) batch[i] = events[next + i];
                    next += count;
                    yield return batch;
                    continue;
                }
                if (State.Status != SessionStatus.Running)
                {
                    completed = true;
                    yield break;
                }
                await _changed.Task.WaitAsync(cancellation);
                // The first event of a watch goes at once (time to first token); after it, the next steps' events gather
                // for a moment, so that a watcher costs a grain message and a network write per linger, not per step.
                if (next > fromIndex && options.Value.BatchLinger > TimeSpan.Zero && State.Status == SessionStatus.Running)
                    await Task.WhenAny(Task.Delay(options.Value.BatchLinger, cancellation), _ended.Task);
            }
        }
        finally
        {
            _watchers--;
            if (!completed && _watchers == 0 && State.Order!.CancelOnDisconnect && State.Status == SessionStatus.Running)
            {
                LogCancelOnDisconnect(Id);
                _cancelRequested = true;
            }
        }
    }

    /// <inheritdoc />
    public async Task<SessionInfo> Cancel()
    {
        await EnsureLiveAsync();
        if (State.Status == SessionStatus.Running)
        {
            _cancelRequested = true;
            if (_loop is not null) await _loop;
            else
            {
                // Never resumed here (no KV room yet): nothing runs, so end it directly.
                State.Status = SessionStatus.Cancelled;
                State.FinishedUtc = DateTime.UtcNow;
                await PersistAsync();
            }
        }
        return Info();
    }

    /// <inheritdoc />
    public async Task<SessionInfo> GetInfo()
    {
        await EnsureLiveAsync();
        return Info();
    }

    SessionInfo Info() => State.ToInfo(Id, _log.Events);

    /// <summary>Resumes an unfinished session after a failure, and forgets finished sessions past their time to live.</summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (State.Order is null || Expired()) await ForgetAsync();
        else if (State.Status == SessionStatus.Running && _loop is null) await ResumeAsync();
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellation)
    {
        if (_loop is null || _loop.IsCompleted) return;
        // Stop after the current step and keep the state "running": the reminder (or a watcher) resumes it elsewhere.
        _stopping = true;
        try { await _loop.WaitAsync(cancellation); }
        catch (OperationCanceledException) { return; } // a forced shutdown: the step in flight still owns the session
        await PersistAsync();
        await CloseAsync();
    }

    async Task ResumeAsync()
    {
        State.Activations++;
        try
        {
            await OpenAsync();
            LogResumed(Id, _log.Events.Count, silo.SiloAddress);
            _loop = RunAsync();
        }
        catch (CapacityExceededException e)
        {
            LogResumeDeferred(Id, e.Message);
        }
    }

    /// <summary>Admits the session on this silo's model host and builds (or rebuilds from the log) its decoding run.</summary>
    async Task OpenAsync()
    {
        var order = State.Order!;
        State.Silo = silo.SiloAddress.ToString();
        long kvTokens = OrderTranslation.KvTokens(order);
        _lease = await Host(order.Model).Admit(Id, kvTokens, silo.SiloAddress);
        try
        {
            // A draft keeps a KV cache of its own for the session: it counts against the draft host's budget too.
            var decoding = SessionRuns.Effective(order, _lease.Model);
            _draft = SessionRuns.DraftOf(decoding, _lease.Model, catalog);
            if (_draft is not null) await Host(_draft).Admit(Id, kvTokens, silo.SiloAddress);
            var (model, log, beam) = (_lease.Model, _log.Events, State.Beam);
            // Building a run may load a draft model or compile a JSON schema: off the scheduler (no grain state there).
            _run = await Task.Run(() => SessionRuns.Create(order, decoding, model, catalog, log, beam));
            _statsBefore = State.Stats;
        }
        catch
        {
            await CloseAsync();
            throw;
        }
    }

    // The decode loop runs on the model's executor thread, step after step (batched with the other sessions' decode
    // steps, see ModelExecutor), handing each step's output over a channel; this grain turn publishes the events to
    // watchers and persists them, so grain scheduling never stalls the device. A step's events travel together, so what
    // is persisted always ends on a step boundary.
    async Task RunAsync()
    {
        var run = _run!;
        var outputs = Channel.CreateUnbounded<StepOutput>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var decode = _lease!.Model.Executor.RunLoopAsync(new SessionDecodeLoop(run, outputs.Writer, () => _stopping, () => _cancelRequested));
        _ = decode.ContinueWith(t => outputs.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
        bool cancelled = false;
        try
        {
            while (await outputs.Reader.WaitToReadAsync())
            {
                while (outputs.Reader.TryRead(out var output))
                {
                    foreach (var e in output.Events) Publish(e);
                    cancelled |= output.Events.Any(e => e.Finish == FinishReason.Cancelled);
                    State.Stats = _statsBefore + output.Stats;
                    State.Beam = output.Beam ?? State.Beam;
                    State.Progress = output.Progress ?? State.Progress;
                    State.Outcome = output.Outcome ?? State.Outcome;
                    _sinceWrite += Math.Max(1, output.Events.Count);
                }
                Signal();
                if (_sinceWrite >= options.Value.PersistEveryTokens) await PersistAsync();
                // Steps faster than the linger gather before this turn runs again: a scheduler wake-up per step would take
                // a core from the decode's kernel threads (2-core machines: a step stalls until its preempted worker runs).
                // A slow step finds the reader already waiting, so it adds no latency; the loop's end cuts the wait short.
                if (options.Value.BatchLinger > TimeSpan.Zero) await Task.WhenAny(Task.Delay(options.Value.BatchLinger), decode);
            }
            if (_stopping) return;
            State.Status = cancelled || _log.Events.Any(e => e.Finish == "cancelled") ? SessionStatus.Cancelled : SessionStatus.Finished;
        }
        catch (Exception e)
        {
            LogFailed(e, Id);
            State.Status = SessionStatus.Failed;
            State.Error = e.Message;
        }
        finally
        {
            if (!_stopping)
            {
                // Watchers learn of the end once the KV room is free (a client's next request may need it), before the
                // final write: a silo lost in between leaves a running record, and its resumption replays the same tokens.
                State.FinishedUtc = DateTime.UtcNow;
                await CloseAsync();
                _ended.TrySetResult();
                Signal();
                await FinishAsync();
            }
            else Signal();
        }
    }

    async Task FinishAsync()
    {
        await PersistAsync();
        // From now on the reminder only has to expire the session.
        var ttl = options.Value.FinishedSessionTtl;
        var period = options.Value.ResumeCheckPeriod;
        try { await this.RegisterOrUpdateReminder(KeepRunning, ttl, ttl > period ? ttl : period); }
        catch (Exception e) { LogReminderFailed(e, Id); }
    }

    void Publish(GenerationEvent e) => _log.Add(new TokenEvent
    {
        Position = _log.Events.Count, Sequence = e.Sequence, Index = e.Index, TokenId = e.TokenId, TextDelta = e.TextDelta,
        Logprob = e.Logprob, TopLogprobs = e.TopLogprobs.Select(t => new TokenAlternative(t.TokenId, t.Logprob)).ToArray(),
        Finish = e.Finish is { } f ? GenerationEvent.Name(f) : null,
    });

    void Signal()
    {
        var fired = _changed;
        _changed = NewSignal();
        fired.TrySetResult();
    }

    static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    async Task PersistAsync()
    {
        await _log.SealAsync(State);
        await record.WriteStateAsync();
        _sinceWrite = 0;
        // A running loop is not a grain call: keep the activation from being collected as idle meanwhile.
        if (State.Status == SessionStatus.Running) DelayDeactivation(TimeSpan.FromMinutes(30));
    }

    async Task CloseAsync()
    {
        // Called once the decode loop has ended (or never started): no step uses the run any more.
        _run?.Dispose();
        _run = null;
        if (_lease is null) return;
        if (_draft is not null) await Host(_draft).Release(Id);
        await Host(State.Order!.Model).Release(Id);
        (_lease, _draft) = (null, null);
    }

    IModelHostGrain Host(string model) => GrainFactory.GetGrain<IModelHostGrain>(ModelHostKey.For(model, silo.SiloAddress));

    bool Expired() => State.FinishedUtc is { } end && DateTime.UtcNow - end > options.Value.FinishedSessionTtl;

    async Task EnsureLiveAsync()
    {
        if (State.Order is not null && !Expired()) return;
        if (State.Order is not null) await ForgetAsync();
        throw new SessionNotFoundException(Id);
    }

    async Task ForgetAsync()
    {
        await _log.ClearAsync(State);
        await record.ClearStateAsync();
        record.State = new SessionRecord();
        if (await this.GetReminder(KeepRunning) is { } reminder) await this.UnregisterReminder(reminder);
        DeactivateOnIdle();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "session {Session} resumed from {Events} events on {Silo}")]
    partial void LogResumed(string session, int events, SiloAddress silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "session {Session} could not resume yet: {Reason}")]
    partial void LogResumeDeferred(string session, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "session {Session}: last watcher left, cancelling (cancel_on_disconnect)")]
    partial void LogCancelOnDisconnect(string session);

    [LoggerMessage(Level = LogLevel.Warning, Message = "session {Session}: could not reschedule its expiry reminder")]
    partial void LogReminderFailed(Exception e, string session);

    [LoggerMessage(Level = LogLevel.Error, Message = "session {Session} failed")]
    partial void LogFailed(Exception e, string session);
}
