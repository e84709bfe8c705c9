using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace BatchFunctions.IntegrationTests;

/// <summary>
/// Tests only: the workflow loop both hosts run, with the real activities and a fake clock. A wait with
/// nothing running moves the clock (which the emulator's jobs also run on) instead of sleeping.
/// </summary>
public sealed class InMemoryDriver(BatchActivities activities, FakeTimeProvider clock, WorkflowOptions options) : IWorkflowDriver
{
    public DateTimeOffset UtcNow => clock.GetUtcNow();

    /// <summary>Where the workflow loop logs; nowhere unless a test looks.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    public bool CancelRequested => false;

    public bool YieldsWhenIdle => false;

    /// <summary>
    /// Runs until the batch finishes. With <paramref name="until"/>, runs one step at a time (each step's calls
    /// all folded in) and stops as soon as <paramref name="until"/> holds, so a test can stop between phases.
    /// </summary>
    public async Task<BatchState> RunAsync(BatchState state, Func<BatchState, bool>? until = null, int maxSteps = 1000)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (until is null)
        {
            var turn = await WorkflowLoop.RunAsync(state, options, this, Logger, maxSteps);
            return turn.Finished ? turn.State : throw new InvalidOperationException($"The batch did not finish in {maxSteps} steps; it is {turn.State.Phase}.");
        }

        for (var step = 0; step < maxSteps; step++)
        {
            if (until(state))
            {
                return state;
            }

            var turn = await WorkflowLoop.RunAsync(state, options, this, Logger, maxSteps: 1);
            state = turn.State;
            if (turn.Finished)
            {
                return state;
            }
        }

        throw new InvalidOperationException($"The batch did not finish in {maxSteps} steps; it is {state.Phase}.");
    }

    public Task<ActivityResult> CallActivityAsync(ActivityCall activity) => activities.ExecuteAsync(activity);

    public async Task WaitAsync(IReadOnlyCollection<Task> running, DateTimeOffset? wakeAt, bool listenForCancel)
    {
        if (running.Count > 0)
        {
            await Task.WhenAny(running);
            return;
        }

        if (wakeAt is { } at)
        {
            var delay = at - clock.GetUtcNow();
            clock.Advance(delay > TimeSpan.Zero ? delay : TimeSpan.FromMilliseconds(1));
        }
    }

    public ValueTask<BatchState> CheckpointAsync(BatchState state, DateTimeOffset wakeAt) => ValueTask.FromResult(state);

    public void Publish(BatchStatus status)
    {
    }
}
