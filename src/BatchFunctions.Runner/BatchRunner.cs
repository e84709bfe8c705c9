using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>
/// Drives the decider with its state in Azure Storage. A batch is stepped only under its lease, the record is
/// saved after every step with the time of the next one, and the lease is let go whenever the batch waits,
/// so a batch interrupted at any point (Ctrl-C, a killed process) resumes on whichever runner is next to
/// look. Activities are idempotent, so a step that ran but was not recorded runs again harmlessly.
/// </summary>
public sealed class BatchRunner(
    BatchActivities activities,
    BatchStorage storage,
    InstanceStore store,
    RunnerIdentity identity,
    TimeProvider timeProvider,
    IOptions<WorkflowOptions> options,
    IOptions<RunnerOptions> runnerOptions,
    ILogger<BatchRunner> logger)
{
    /// <summary>Starts the batch of <paramref name="source"/>, or finds the one already started: triggers are at least once.</summary>
    public async Task<StartResult> StartAsync(BatchSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);

        // Every entry point checks its names where they enter; this is the last line, for any path that forgot.
        if (storage.CheckSource(source) is { } problem)
        {
            throw new ArgumentException(problem, nameof(source));
        }

        var instanceId = BatchInstanceId.From(source);
        var result = await store.CreateOrLoadAsync(BatchState.Start(instanceId, source, timeProvider.GetUtcNow(), options.Value), cancellationToken);
        RunnerLog.Start(logger, instanceId, result.Created ? "started" : result.Expired ? "expired already" : "found");
        return result;
    }

    /// <summary>
    /// Runs the batch of <paramref name="source"/> (or resumes it) until it finishes, stepping it here and
    /// waiting out its timers in between; when another runner holds it, follows it instead. Null when the
    /// batch ran long ago and its record expired.
    /// </summary>
    public async Task<BatchState?> RunAsync(BatchSource source, IProgress<BatchStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        await store.EnsureCreatedAsync(cancellationToken);
        var started = await StartAsync(source, cancellationToken);
        if (started.State is not { } state)
        {
            return null;
        }

        while (true)
        {
            var step = await StepAsync(state.InstanceId, progress, cancellationToken);
            state = step.State ?? throw new InvalidOperationException($"The record of {state.InstanceId} disappeared while it ran.");
            if (state.Phase == BatchPhase.Completed)
            {
                return state;
            }

            var now = timeProvider.GetUtcNow();
            var wake = step.Busy ? now + runnerOptions.Value.LeaseDuration / 3 : step.WakeAt ?? now;
            if (step.Busy)
            {
                // Stepped elsewhere: StepAsync reported nothing, so show what the other runner saved.
                progress?.Report(BatchStatus.From(state, now));
            }

            if (wake > now)
            {
                await Task.Delay(wake - now, timeProvider, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Takes the batch's lease and steps it until it has to wait or is finished, saving after every step;
    /// lets the lease go on return. Does nothing when another runner holds the batch.
    /// </summary>
    public async Task<StepResult> StepAsync(string instanceId, IProgress<BatchStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        await using var lease = await store.TryAcquireLeaseAsync(instanceId, identity.Id, cancellationToken);
        if (lease is null)
        {
            var seen = await store.LoadAsync(instanceId, cancellationToken);
            return new StepResult(seen?.State, null, Busy: true);
        }

        using var owned = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
        var token = owned.Token;
        if (await store.LoadAsync(instanceId, token) is not (var state, var version))
        {
            return new StepResult(null, null, Busy: false);
        }

        var workflow = state.Workflow ?? options.Value;
        var now = timeProvider.GetUtcNow();
        var step = BatchDecider.Decide(state, now, workflow);
        if (step is WaitUntil early)
        {
            // Woken before its time (a cancel that changes nothing yet, a clock ahead of ours): put the right time back.
            (state, _) = await SaveOwnedAsync(state, version, early.WakeAt, token);
            return new StepResult(state, early.WakeAt, Busy: false);
        }

        // Calls run side by side and each result is folded in as soon as it arrives, so a part moves on while
        // others' calls still run; the runner returns (and lets go of the lease) only with nothing running.
        var running = new RunningCalls();
        try
        {
            while (true)
            {
                progress?.Report(BatchStatus.From(state, now));
                running.StartNew(step, call => activities.ExecuteAsync(call, token));
                if (running.Count == 0)
                {
                    switch (step)
                    {
                        case FinishBatch:
                            WorkflowLog.Finished(logger, instanceId, state.Source, BatchStatus.From(state, now));
                            return new StepResult(state, null, Busy: false);

                        case WaitUntil wait:
                            return new StepResult(state, wait.WakeAt, Busy: false);
                    }
                }

                // The next result, or the time the decider named (a poll falling due while uploads run).
                await WaitForAnyAsync(running, step is WaitUntil due ? due.WakeAt - now : null, token);
                now = timeProvider.GetUtcNow();
                foreach (var result in running.TakeCompleted())
                {
                    state = BatchDecider.Evolve(state, result with { CompletedAt = now }, workflow);
                }

                step = BatchDecider.Decide(state, now, workflow);
                (state, version) = await SaveOwnedAsync(state, version, step is WaitUntil next ? next.WakeAt : now, token);
                if (state.CancelRequested && step is WaitUntil)
                {
                    // A cancel arrived while the step ran: act on it now rather than at the next wake-up.
                    step = BatchDecider.Decide(state, now, workflow);
                }
            }
        }
        catch
        {
            await running.DrainAsync();
            throw;
        }
    }

    private async Task WaitForAnyAsync(RunningCalls running, TimeSpan? until, CancellationToken cancellationToken)
    {
        if (until is not { } delay)
        {
            await Task.WhenAny(running.Tasks);
            return;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var elapsed = Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, timeProvider, timer.Token);
        await Task.WhenAny(running.Tasks.Append(elapsed));
        await timer.CancelAsync();
        await elapsed.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Saves a step of a batch this runner holds. Only a cancel request can have changed the record meanwhile
    /// (everyone else waits for the lease), so on a conflict the request is folded in and the save repeated.
    /// </summary>
    private async Task<(BatchState State, Azure.ETag Version)> SaveOwnedAsync(BatchState state, Azure.ETag version, DateTimeOffset wakeAt, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return (state, await store.SaveAsync(state, version, wakeAt, cancellationToken));
            }
            catch (InstanceConflictException)
            {
                var stored = await store.LoadAsync(state.InstanceId, cancellationToken)
                    ?? throw new InvalidOperationException($"The record of {state.InstanceId} disappeared while it ran.");
                if (stored.State.CancelRequested)
                {
                    state = BatchDecider.RequestCancel(state);
                    wakeAt = timeProvider.GetUtcNow();
                }

                version = stored.Version;
            }
        }
    }
}
