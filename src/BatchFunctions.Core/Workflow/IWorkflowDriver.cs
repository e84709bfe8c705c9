namespace BatchFunctions.Core.Workflow;

/// <summary>
/// What a host gives <see cref="WorkflowLoop"/> to drive a batch: its clock, its way to run an activity, to
/// wait, to keep the state and to show the status. The Durable orchestrator, the runner and the tests'
/// in-memory driver are the three implementations; everything else about stepping a batch is the loop's.
/// </summary>
public interface IWorkflowDriver
{
    /// <summary>The time decisions are made at (replay-safe in a Durable orchestration).</summary>
    DateTimeOffset UtcNow { get; }

    /// <summary>
    /// Whether a cancel request arrived that the state does not carry yet (a Durable event); a driver that
    /// learns of cancels when it saves (the runner) folds them in <see cref="CheckpointAsync"/> instead.
    /// </summary>
    bool CancelRequested { get; }

    /// <summary>
    /// Whether the loop hands the batch back when nothing runs and it has to wait (the runner lets go of
    /// its lease and its scheduler wakes the batch), instead of waiting itself (a durable timer).
    /// </summary>
    bool YieldsWhenIdle { get; }

    /// <summary>Runs one activity; an activity that fails after the host's own retries is a failed result, not an exception.</summary>
    Task<ActivityResult> CallActivityAsync(ActivityCall activity);

    /// <summary>
    /// Waits for the first of: one of <paramref name="running"/> ending, <paramref name="wakeAt"/> (when
    /// given), and, when <paramref name="listenForCancel"/>, a cancel request.
    /// </summary>
    Task WaitAsync(IReadOnlyCollection<Task> running, DateTimeOffset? wakeAt, bool listenForCancel);

    /// <summary>
    /// Keeps <paramref name="state"/> after results were folded in, with <paramref name="wakeAt"/> as the
    /// time it next needs a step; answers the state to go on with (a cancel saved meanwhile folded in).
    /// </summary>
    ValueTask<BatchState> CheckpointAsync(BatchState state, DateTimeOffset wakeAt);

    /// <summary>Shows the batch's status (a Durable custom status, a CLI's progress line).</summary>
    void Publish(BatchStatus status);
}
