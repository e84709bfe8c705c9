using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// The Durable host of the workflow loop, and nothing more: activities are activity functions, waits are
/// durable timers raced with the cancel event, the status is the custom status, and the orchestration
/// continues as new every few dozen steps. Every decision is the decider's, made with the options kept in
/// the batch's state.
/// </summary>
public sealed class BatchOrchestrator(IOptions<WorkflowOptions> options, IOptions<MistralClientOptions> mistral)
{
    /// <summary>Versioned: a deploy may meet batches that run for a day.</summary>
    public const string Name = "BatchOrchestrator_v1";

    /// <summary>The external event a cancel request raises.</summary>
    public const string CancelEvent = "cancel";

    /// <summary>Runs one generation of the batch's history.</summary>
    [Function(Name)]
    public async Task<BatchStatus> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var logger = context.CreateReplaySafeLogger<BatchOrchestrator>();
        var state = context.GetInput<BatchState>() ?? throw new InvalidOperationException("The orchestration needs its BatchState as input.");

        // State written before the options were kept in it takes them from configuration, once: every replay of
        // this generation then decides with the same values, and later generations carry them.
        state = state.Upgrade(options.Value, MistralBinding.Of(mistral.Value));
        var workflow = state.Workflow!;
        var activityOptions = new TaskOptions(new TaskRetryOptions(new RetryPolicy(Math.Max(1, workflow.ActivityAttempts), workflow.ActivityRetryDelay, 2, TimeSpan.FromMinutes(2))));
        var driver = new DurableDriver(context, context.WaitForExternalEvent<bool>(CancelEvent), activityOptions);
        var turn = await WorkflowLoop.RunAsync(state, workflow, driver, logger, workflow.StepsPerGeneration);
        if (turn.Finished)
        {
            return BatchStatus.From(turn.State, Now(context));
        }

        // Keep the history small; a cancel event not yet seen is carried over to the next generation.
        context.ContinueAsNew(turn.State, preserveUnprocessedEvents: true);
        return BatchStatus.From(turn.State, Now(context));
    }

    /// <summary>The workflow loop on the Durable Task engine: activities, durable timers raced with the cancel event, the custom status.</summary>
    private sealed class DurableDriver(TaskOrchestrationContext context, Task<bool> cancel, TaskOptions activityOptions) : IWorkflowDriver
    {
        public DateTimeOffset UtcNow => Now(context);

        public bool CancelRequested => cancel.IsCompleted;

        // A durable timer costs nothing while it waits: the orchestration waits itself.
        public bool YieldsWhenIdle => false;

        public Task<ActivityResult> CallActivityAsync(ActivityCall activity) => CallAsync(context, activity, activityOptions);

        public async Task WaitAsync(IReadOnlyCollection<Task> running, DateTimeOffset? wakeAt, bool listenForCancel)
        {
            using var timerCancellation = new CancellationTokenSource();
            var waits = new List<Task>(running);
            var timer = wakeAt is { } at ? context.CreateTimer(at.UtcDateTime, timerCancellation.Token) : null;
            if (timer is not null)
            {
                waits.Add(timer);
            }

            if (listenForCancel && !cancel.IsCompleted)
            {
                waits.Add(cancel);
            }

            if (waits.Count > 0)
            {
                await Task.WhenAny(waits);
            }

            if (timer is { IsCompleted: false })
            {
                // Something else came first: release the timer so the orchestration does not wait on it.
                timerCancellation.Cancel();
            }
        }

        // The history is the checkpoint: a replay folds the same results in again.
        public ValueTask<BatchState> CheckpointAsync(BatchState state, DateTimeOffset wakeAt) => ValueTask.FromResult(state);

        public void Publish(BatchStatus status) => context.SetCustomStatus(status);
    }

    /// <summary>
    /// An activity that still throws after its retry policy is a failed step, not a failed orchestration:
    /// the decider then finalizes the batch (summary, archive, notification) with the reason.
    /// </summary>
    private static async Task<ActivityResult> CallAsync(TaskOrchestrationContext context, ActivityCall call, TaskOptions options)
    {
        try
        {
            return await context.CallActivityAsync<ActivityResult>(call.Name, call, options);
        }
        catch (TaskFailedException exception)
        {
            return ActivityResult.Fail(call, $"{call.Name} threw {exception.FailureDetails.ErrorType} after its retries.");
        }
    }

    private static DateTimeOffset Now(TaskOrchestrationContext context) => new(context.CurrentUtcDateTime, TimeSpan.Zero);
}
