using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// Starts the orchestration of a batch unless it exists: triggers are at least once and one upload can
/// raise several events, so an existing instance is returned, never replaced, also when two starts race.
/// </summary>
public sealed class BatchStarter(BatchStorage storage, StartClaims claims, IOptions<WorkflowOptions> options, IOptions<MistralClientOptions> mistral, TimeProvider timeProvider, ILogger<BatchStarter> logger)
{
    /// <summary>Starts the batch of <paramref name="source"/>, or finds it; returns its id and whether it was new.</summary>
    public async Task<(string InstanceId, bool Started)> StartAsync(DurableTaskClient client, BatchSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(source);

        // Every entry point checks its names where they enter; this is the last line, for any path that forgot.
        if (storage.CheckSource(source) is { } problem)
        {
            throw new ArgumentException(problem, nameof(source));
        }

        var instanceId = BatchInstanceId.From(source);
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null || !await claims.TryClaimAsync(instanceId, async token => await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, token) is not null, cancellationToken))
        {
            OrchestratorLog.AlreadyStarted(logger, instanceId);
            return (instanceId, false);
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(
                BatchOrchestrator.Name,
                BatchState.Start(instanceId, source, timeProvider.GetUtcNow(), options.Value, MistralBinding.Of(mistral.Value)),
                new StartOrchestrationOptions(InstanceId: instanceId),
                cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // An instance made some other way (a start from before claims existed) is the batch.
            if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is null)
            {
                throw;
            }

            OrchestratorLog.AlreadyStarted(logger, instanceId);
            return (instanceId, false);
        }

        OrchestratorLog.Started(logger, instanceId, source.Container, source.Name);
        return (instanceId, true);
    }
}
