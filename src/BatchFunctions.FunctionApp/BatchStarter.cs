using BatchFunctions.Core.Workflow;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// Starts the orchestration of a batch unless it exists: triggers are at least once and one upload can
/// raise several events, so an existing instance is returned, never replaced.
/// </summary>
public sealed class BatchStarter(TimeProvider timeProvider, ILogger<BatchStarter> logger)
{
    /// <summary>Starts the batch of <paramref name="source"/>, or finds it; returns its id and whether it was new.</summary>
    public async Task<(string InstanceId, bool Started)> StartAsync(DurableTaskClient client, BatchSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(source);
        var instanceId = BatchInstanceId.From(source);
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
        {
            OrchestratorLog.AlreadyStarted(logger, instanceId);
            return (instanceId, false);
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(
                BatchOrchestrator.Name,
                BatchState.Start(instanceId, source, timeProvider.GetUtcNow()),
                new StartOrchestrationOptions(InstanceId: instanceId),
                cancellationToken);
        }
        catch (Exception) when (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
        {
            // Another trigger for the same blob version won the race: that instance is the batch.
            OrchestratorLog.AlreadyStarted(logger, instanceId);
            return (instanceId, false);
        }

        OrchestratorLog.Started(logger, instanceId, source.Container, source.Name);
        return (instanceId, true);
    }
}
