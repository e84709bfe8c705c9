using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Api;

/// <summary>One batch as a host's listing shows it, with its status when reading the listing gave it anyway.</summary>
/// <param name="Id">The batch's id.</param>
/// <param name="Phase">Its phase.</param>
/// <param name="Outcome">How it ended, once it has.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="Status">Its status, when the listing read it already.</param>
public sealed record BatchListing(string Id, BatchPhase Phase, BatchOutcome? Outcome, DateTimeOffset StartedAt, BatchStatus? Status = null);

/// <summary>
/// What <see cref="BatchApi"/> needs of a host: where its batches' state lives and how a batch is started
/// and told to cancel. The Function App answers from its Durable task hub, the runner from its records.
/// </summary>
public interface IBatchInstances
{
    /// <summary>
    /// Starts the batch of <paramref name="source"/>, or finds it (triggers are at least once): its id and
    /// whether this call started it; a null id when that input version ran as a batch whose record expired.
    /// </summary>
    Task<(string? InstanceId, bool Created)> StartAsync(BatchSource source, CancellationToken cancellationToken);

    /// <summary>The status of batch <paramref name="id"/> (a well-formed id), or null when there is none.</summary>
    Task<BatchStatus?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Every batch the host knows of, in any order.</summary>
    IAsyncEnumerable<BatchListing> ListAsync(CancellationToken cancellationToken);

    /// <summary>Records a cancel request for <paramref name="current"/>, a batch still running; answers its status with the request in it.</summary>
    Task<BatchStatus> RequestCancelAsync(BatchStatus current, CancellationToken cancellationToken);
}
