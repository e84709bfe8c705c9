using Azure;
using Azure.Storage.Blobs.Models;
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
public sealed class BatchStarter(BatchStorage storage, IOptions<WorkflowOptions> options, TimeProvider timeProvider, ILogger<BatchStarter> logger)
{
    /// <summary>How long a start's claim stands without an instance behind it before another start may take it over.</summary>
    public static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(1);

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
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null || !await ClaimAsync(client, instanceId, cancellationToken))
        {
            OrchestratorLog.AlreadyStarted(logger, instanceId);
            return (instanceId, false);
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(
                BatchOrchestrator.Name,
                BatchState.Start(instanceId, source, timeProvider.GetUtcNow(), options.Value),
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

    /// <summary>
    /// Whether this start may schedule the instance. Checking for an instance and then scheduling it is a
    /// race that task hubs do not all settle (two schedules of one id can corrupt its history), so the
    /// starts of one batch first race to create one small blob: only the winner schedules. A claim older
    /// than <see cref="ClaimTimeout"/> with no instance behind it was left by a start that died, and is taken over.
    /// </summary>
    private async Task<bool> ClaimAsync(DurableTaskClient client, string instanceId, CancellationToken cancellationToken)
    {
        var claim = storage.Staging.GetBlobClient(BlobLayout.StartClaim(instanceId));
        try
        {
            await claim.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status is 409 or 412)
        {
        }

        try
        {
            var held = (await claim.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            if (timeProvider.GetUtcNow() - held.LastModified < ClaimTimeout
                || await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
            {
                return false;
            }

            await claim.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = held.ETag } }, cancellationToken);
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 409 or 412)
        {
            // Another start took it over, or it went with a finished batch's working files.
            return false;
        }
    }
}
