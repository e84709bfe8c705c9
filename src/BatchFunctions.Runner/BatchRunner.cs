using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Mistral;
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
    IOptions<MistralClientOptions> mistral,
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
        var result = await store.CreateOrLoadAsync(BatchState.Start(instanceId, source, timeProvider.GetUtcNow(), options.Value, MistralBinding.Of(mistral.Value)), cancellationToken);
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

        state = state.Upgrade(options.Value, MistralBinding.Of(mistral.Value));
        var workflow = state.Workflow!;
        var driver = new RunnerDriver(this, activities, timeProvider, version, progress, token);
        var turn = await WorkflowLoop.RunAsync(state, workflow, driver, logger);
        if (turn.Next is WaitUntil wait && driver.SavedWakeAt != wait.WakeAt)
        {
            // Woken before its time (a cancel that changes nothing yet, a clock ahead of ours), or a wait the
            // last save did not name: put the right time in the record.
            (state, _) = await SaveOwnedAsync(turn.State, driver.Version, wait.WakeAt, token);
            return new StepResult(state, wait.WakeAt, Busy: false);
        }

        return new StepResult(turn.State, (turn.Next as WaitUntil)?.WakeAt, Busy: false);
    }

    /// <summary>
    /// The workflow loop on this runner: activities run in process, waits are timers on the runner's clock,
    /// and the record is saved after every step (a cancel saved meanwhile folded in); when nothing runs and
    /// the batch has to wait, the loop hands it back so that the lease is let go.
    /// </summary>
    private sealed class RunnerDriver(BatchRunner runner, BatchActivities activities, TimeProvider clock, Azure.ETag version, IProgress<BatchStatus>? progress, CancellationToken cancellationToken) : IWorkflowDriver
    {
        public Azure.ETag Version { get; private set; } = version;

        public DateTimeOffset? SavedWakeAt { get; private set; }

        public DateTimeOffset UtcNow => clock.GetUtcNow();

        // A cancel reaches this runner through the record, folded in when a save meets it.
        public bool CancelRequested => false;

        public bool YieldsWhenIdle => true;

        public Task<ActivityResult> CallActivityAsync(ActivityCall activity) => activities.ExecuteAsync(activity, cancellationToken);

        public async Task WaitAsync(IReadOnlyCollection<Task> running, DateTimeOffset? wakeAt, bool listenForCancel)
        {
            if (wakeAt is not { } at)
            {
                await Task.WhenAny(running);
                return;
            }

            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = at - UtcNow;
            var elapsed = Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, clock, timer.Token);
            await Task.WhenAny(running.Append(elapsed));
            await timer.CancelAsync();
            await elapsed.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
        }

        public async ValueTask<BatchState> CheckpointAsync(BatchState state, DateTimeOffset wakeAt)
        {
            (state, var saved) = await runner.SaveOwnedAsync(state, Version, wakeAt, cancellationToken);
            (Version, SavedWakeAt) = (saved, wakeAt);
            return state;
        }

        public void Publish(BatchStatus status) => progress?.Report(status);
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
