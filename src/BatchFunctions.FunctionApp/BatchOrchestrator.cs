using BatchFunctions.Core.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// The Durable driver of the decider, and nothing more: decide, start the activities, wait for the first
/// result, a durable timer or a cancel event, publish the status, and continue as new every few dozen steps.
/// Every decision is the decider's, made with the options kept in the batch's state.
/// </summary>
public sealed class BatchOrchestrator(IOptions<WorkflowOptions> options)
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

        // Options are read from configuration only for state written before they were kept in it, once:
        // every replay of this generation then decides with the same values.
        var workflow = state.Workflow ?? options.Value.Snapshot();
        state = state with { Workflow = workflow };
        var cancel = context.WaitForExternalEvent<bool>(CancelEvent);
        var activityOptions = new TaskOptions(new TaskRetryOptions(new RetryPolicy(Math.Max(1, workflow.ActivityAttempts), workflow.ActivityRetryDelay, 2, TimeSpan.FromMinutes(2))));

        // Calls run side by side and each result is folded in as soon as it arrives, so a part moves on while
        // others' calls still run. A generation ends only with nothing running.
        var running = new RunningCalls();
        for (var step = 0; step < workflow.StepsPerGeneration || running.Count > 0; step++)
        {
            if (cancel.IsCompleted)
            {
                state = BatchDecider.RequestCancel(state);
            }

            var now = Now(context);
            context.SetCustomStatus(BatchStatus.From(state, now));
            var decision = BatchDecider.Decide(state, now, workflow);
            if (decision is FinishBatch)
            {
                var status = BatchStatus.From(state, now);
                WorkflowLog.Finished(logger, context.InstanceId, state.Source, status);
                return status;
            }

            if (step < workflow.StepsPerGeneration)
            {
                running.StartNew(decision, call => CallAsync(context, call, activityOptions));
            }

            using (var timerCancellation = new CancellationTokenSource())
            {
                // The next result, the time the decider named (the next poll, a retry), or a cancel request.
                var waits = new List<Task>(running.Tasks);
                Task? timer = decision is WaitUntil wait ? context.CreateTimer(wait.WakeAt.UtcDateTime, timerCancellation.Token) : null;
                if (timer is not null)
                {
                    waits.Add(timer);
                }

                // Once the cancel is in the state, the event has said all it has to say: racing the completed
                // event again would end every later wait at once.
                if (!state.CancelRequested && !cancel.IsCompleted)
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

            var arrived = Now(context);
            foreach (var result in running.TakeCompleted())
            {
                state = BatchDecider.Evolve(state, result with { CompletedAt = arrived }, workflow);
            }
        }

        // Keep the history small; a cancel event not yet seen is carried over to the next generation.
        context.ContinueAsNew(state, preserveUnprocessedEvents: true);
        return BatchStatus.From(state, Now(context));
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
