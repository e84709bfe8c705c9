using BatchFunctions.Core.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// The Durable driver of the decider, and nothing more: decide, run the activities (in parallel), wait on a
/// durable timer raced with a cancel event, publish the status, and continue as new every few dozen steps.
/// Every decision is the decider's.
/// </summary>
public sealed class BatchOrchestrator(IOptions<WorkflowOptions> options)
{
    /// <summary>Versioned: a deploy may meet batches that run for a day.</summary>
    public const string Name = "BatchOrchestrator_v1";

    /// <summary>The external event a cancel request raises.</summary>
    public const string CancelEvent = "cancel";

    private const int StepsPerGeneration = 40;

    private static readonly TaskOptions ActivityOptions = new(new TaskRetryOptions(new RetryPolicy(3, TimeSpan.FromSeconds(10), 2, TimeSpan.FromMinutes(2))));

    /// <summary>Runs one generation of the batch's history.</summary>
    [Function(Name)]
    public async Task<BatchStatus> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var logger = context.CreateReplaySafeLogger<BatchOrchestrator>();
        var workflow = options.Value;
        var state = context.GetInput<BatchState>() ?? throw new InvalidOperationException("The orchestration needs its BatchState as input.");
        var cancel = context.WaitForExternalEvent<bool>(CancelEvent);

        for (var step = 0; step < StepsPerGeneration; step++)
        {
            if (cancel.IsCompleted)
            {
                state = BatchDecider.RequestCancel(state);
            }

            var now = Now(context);
            context.SetCustomStatus(BatchStatus.From(state, now));
            switch (BatchDecider.Decide(state, now, workflow))
            {
                case FinishBatch finish:
                    OrchestratorLog.Finished(logger, context.InstanceId, finish.Outcome.ToString());
                    return BatchStatus.From(state, now);

                case RunActivities run:
                    var results = await Task.WhenAll(run.Calls.Select(call => context.CallActivityAsync<ActivityResult>(call.Name, call, ActivityOptions)));
                    var arrived = Now(context);
                    foreach (var result in results)
                    {
                        state = BatchDecider.Evolve(state, result with { CompletedAt = arrived }, workflow);
                    }

                    break;

                case WaitUntil wait:
                    using (var timerCancellation = new CancellationTokenSource())
                    {
                        var timer = context.CreateTimer(wait.WakeAt.UtcDateTime, timerCancellation.Token);
                        if (await Task.WhenAny(timer, cancel) == cancel)
                        {
                            // The event won: release the timer so the orchestration does not wait on it.
                            timerCancellation.Cancel();
                            state = BatchDecider.RequestCancel(state);
                        }
                    }

                    break;
            }
        }

        // Keep the history small; a cancel event not yet seen is carried over to the next generation.
        context.ContinueAsNew(state, preserveUnprocessedEvents: true);
        return BatchStatus.From(state, Now(context));
    }

    private static DateTimeOffset Now(TaskOrchestrationContext context) => new(context.CurrentUtcDateTime, TimeSpan.Zero);
}
