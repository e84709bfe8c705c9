using Microsoft.Extensions.Logging;

namespace BatchFunctions.Core.Workflow;

/// <summary>How a turn of <see cref="WorkflowLoop.RunAsync"/> ended.</summary>
/// <param name="State">The batch's state at the end of the turn.</param>
/// <param name="Next">
/// The decider's step that ended it: <see cref="FinishBatch"/> when the batch is over, <see cref="WaitUntil"/>
/// when the driver yields while idle; null when the turn used its steps (the driver continues as new).
/// </param>
public sealed record WorkflowTurn(BatchState State, BatchStep? Next)
{
    /// <summary>Whether the batch is over.</summary>
    public bool Finished => Next is FinishBatch;
}

/// <summary>
/// The one loop that steps a batch, for every host: decide, start the activities the decider names that are
/// not running yet, wait for the first result (or the decider's time, or a cancel), fold every result in,
/// keep the state, and decide again. Calls run side by side and each result is folded in as soon as it
/// arrives, so a part moves on while others' calls still run. Deterministic given its driver, so a Durable
/// orchestration may replay it.
/// </summary>
public static class WorkflowLoop
{
    /// <summary>
    /// Steps <paramref name="state"/> until the batch is over, the driver yields while idle, or
    /// <paramref name="maxSteps"/> steps have started (then whatever still runs is let finish and folded in).
    /// </summary>
    public static async Task<WorkflowTurn> RunAsync(BatchState state, WorkflowOptions workflow, IWorkflowDriver driver, ILogger logger, int maxSteps = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(driver);
        var running = new RunningCalls();
        try
        {
            for (var step = 0; step < maxSteps || running.Count > 0; step++)
            {
                if (driver.CancelRequested)
                {
                    state = BatchDecider.RequestCancel(state);
                }

                var now = driver.UtcNow;
                driver.Publish(BatchStatus.From(state, now));
                var decision = BatchDecider.Decide(state, now, workflow);
                if (running.Count == 0 && (decision is FinishBatch || (decision is WaitUntil && driver.YieldsWhenIdle)))
                {
                    if (decision is FinishBatch)
                    {
                        WorkflowLog.Finished(logger, state.InstanceId, state.Source, BatchStatus.From(state, now));
                    }

                    return new WorkflowTurn(state, decision);
                }

                if (step < maxSteps)
                {
                    // Each call carries the batch's Mistral, so that no host calls another Mistral for it.
                    var mistral = state.Mistral;
                    running.StartNew(decision, call => driver.CallActivityAsync(call with { Mistral = mistral }));
                }

                // Once the cancel is in the state, a cancel has nothing more to say: listening for it again
                // would end every later wait at once.
                await driver.WaitAsync([.. running.Tasks], decision is WaitUntil wait ? wait.WakeAt : null, listenForCancel: !state.CancelRequested);

                var arrived = driver.UtcNow;
                foreach (var result in running.TakeCompleted())
                {
                    if (result.Status == ActivityStatus.Waiting && state.Retry?.Step != result.Call.StepKey)
                    {
                        // Once as the step starts to wait (for capacity, for its Mistral, after a refusal for a
                        // limit), with the reason in words; the status keeps it current while it waits.
                        WorkflowLog.Waiting(logger, state.InstanceId, result.Call.StepKey, result.Error ?? "waiting");
                    }

                    state = BatchDecider.Evolve(state, result with { CompletedAt = arrived }, workflow);
                }

                state = await driver.CheckpointAsync(state, BatchDecider.Decide(state, arrived, workflow) is WaitUntil next ? next.WakeAt : arrived);
            }

            return new WorkflowTurn(state, null);
        }
        catch
        {
            // None of this turn's calls outlives it (the runner's lease, a test's scope).
            await running.DrainAsync();
            throw;
        }
    }
}
