using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>
/// Drives the decider on this machine with its state in Azure Storage: the record is saved after every
/// step, so a batch interrupted at any point (Ctrl-C, a killed process) resumes where it was when run
/// again. Activities are idempotent, so a step that ran but was not recorded runs again harmlessly.
/// </summary>
public sealed class BatchRunner(
    BatchActivities activities,
    InstanceStore store,
    TimeProvider timeProvider,
    IOptions<WorkflowOptions> options,
    ILogger<BatchRunner> logger)
{
    /// <summary>Runs the batch of <paramref name="source"/> (or resumes it) until it finishes.</summary>
    public async Task<BatchState> RunAsync(BatchSource source, IProgress<BatchStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        await store.EnsureCreatedAsync(cancellationToken);
        var (state, version, created) = await store.CreateOrLoadAsync(BatchState.Start(BatchInstanceId.From(source), source, timeProvider.GetUtcNow()), cancellationToken);
        RunnerLog.Running(logger, state.InstanceId, created ? "started" : "resumed", state.Phase.ToString());
        return await DriveAsync(state, version, progress, cancellationToken);
    }

    private async Task<BatchState> DriveAsync(BatchState state, Azure.ETag version, IProgress<BatchStatus>? progress, CancellationToken cancellationToken)
    {
        var workflow = options.Value;
        while (true)
        {
            var now = timeProvider.GetUtcNow();
            progress?.Report(BatchStatus.From(state, now));
            switch (BatchDecider.Decide(state, now, workflow))
            {
                case FinishBatch finish:
                    RunnerLog.Finished(logger, state.InstanceId, finish.Outcome.ToString());
                    return state;

                case WaitUntil wait:
                    var delay = wait.WakeAt - timeProvider.GetUtcNow();
                    if (delay > TimeSpan.Zero)
                    {
                        await Task.Delay(delay, timeProvider, cancellationToken);
                    }

                    break;

                case RunActivities run:
                    var results = await Task.WhenAll(run.Calls.Select(call => activities.ExecuteAsync(call, cancellationToken)));
                    var arrived = timeProvider.GetUtcNow();
                    foreach (var result in results)
                    {
                        state = BatchDecider.Evolve(state, result with { CompletedAt = arrived }, workflow);
                    }

                    version = await store.SaveAsync(state, version, cancellationToken);
                    break;
            }
        }
    }
}
