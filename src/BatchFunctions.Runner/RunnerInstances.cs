using System.Runtime.CompilerServices;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Runner;

/// <summary>The runner's batches for <see cref="BatchApi"/>: records in its state container, stepped by its scheduler.</summary>
public sealed class RunnerInstances(BatchRunner runner, InstanceStore store, BatchScheduler scheduler, TimeProvider timeProvider) : IBatchInstances
{
    /// <inheritdoc/>
    public async Task<(string? InstanceId, bool Created)> StartAsync(BatchSource source, CancellationToken cancellationToken)
    {
        var started = await runner.StartAsync(source, cancellationToken);
        if (started.State is not { } state)
        {
            return (null, false);
        }

        scheduler.Wake();
        return (state.InstanceId, started.Created);
    }

    /// <inheritdoc/>
    public async Task<BatchStatus?> GetAsync(string id, CancellationToken cancellationToken) =>
        await store.LoadAsync(id, cancellationToken) is (var state, _) ? BatchStatus.From(state, timeProvider.GetUtcNow()) : null;

    /// <inheritdoc/>
    public async IAsyncEnumerable<BatchListing> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The listing's metadata says enough to filter and sort; only a page's records are read.
        await foreach (var entry in store.ListAsync(cancellationToken))
        {
            yield return new BatchListing(entry.Id, entry.Phase, entry.Outcome, entry.StartedAt);
        }
    }

    /// <inheritdoc/>
    public async Task<BatchStatus> RequestCancelAsync(BatchStatus current, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        var state = await store.RequestCancelAsync(current.Id, cancellationToken);
        scheduler.Wake();
        return state is null ? current : BatchStatus.From(state, timeProvider.GetUtcNow());
    }
}
