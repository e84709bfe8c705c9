using System.Runtime.CompilerServices;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Workflow;
using Microsoft.DurableTask.Client;

namespace BatchFunctions.FunctionApp;

/// <summary>The Function App's batches for <see cref="BatchApi"/>: orchestrations in its Durable task hub.</summary>
public sealed class DurableInstances(DurableTaskClient client, BatchStarter starter, TimeProvider timeProvider) : IBatchInstances
{
    /// <inheritdoc/>
    public async Task<(string? InstanceId, bool Created)> StartAsync(BatchSource source, CancellationToken cancellationToken) =>
        await starter.StartAsync(client, source, cancellationToken);

    /// <inheritdoc/>
    public async Task<BatchStatus?> GetAsync(string id, CancellationToken cancellationToken) =>
        await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken) is { } instance ? StatusOf(instance) : null;

    /// <inheritdoc/>
    public async IAsyncEnumerable<BatchListing> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true }).WithCancellation(cancellationToken))
        {
            if (StatusOf(instance) is { } status)
            {
                yield return new BatchListing(status.Id, status.Phase, status.Outcome, status.StartedAt, status);
            }
        }
    }

    /// <inheritdoc/>
    public async Task<BatchStatus> RequestCancelAsync(BatchStatus current, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);

        // The event is the orchestration's record of the request.
        await client.RaiseEventAsync(current.Id, BatchOrchestrator.CancelEvent, true, cancellationToken);
        return current with { CancelRequested = true };
    }

    /// <summary>
    /// The status of an instance: its output once completed, else its custom status, else (Pending, not yet
    /// run) the status of its input state, so that a batch exists from the moment it was started.
    /// </summary>
    private BatchStatus? StatusOf(OrchestrationMetadata instance)
    {
        if (instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed && instance.ReadOutputAs<BatchStatus>() is { } output)
        {
            return output;
        }

        if (instance.ReadCustomStatusAs<BatchStatus>() is { } custom)
        {
            return custom;
        }

        return instance.ReadInputAs<BatchState>() is { } input ? BatchStatus.From(input, timeProvider.GetUtcNow()) : null;
    }
}
