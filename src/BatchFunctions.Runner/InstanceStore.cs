using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>
/// One state record per batch, a JSON blob written with optimistic concurrency (ETags), its phase and next
/// wake-up time copied into blob metadata so that one listing finds every due batch. Ownership is a Blob
/// Storage lease on a separate blob, so the service, not the runners' clocks, decides when it lapses.
/// </summary>
public sealed class InstanceStore(BatchStorage storage, IOptions<RunnerOptions> options, TimeProvider timeProvider)
{
    private const string RecordPrefix = "instances/";
    private const string RecordSuffix = ".json";
    private const string PhaseKey = "phase";
    private const string OutcomeKey = "outcome";
    private const string WakeKey = "wake_at";
    private const string StartedKey = "started_at";
    private const string CompletedKey = "completed_at";

    private BlobContainerClient Container => storage.Blobs.GetBlobContainerClient(options.Value.StateContainer);

    /// <summary>Creates the state container if it does not exist.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default) =>
        await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

    /// <summary>The batch's record and its version, or null.</summary>
    public async Task<(BatchState State, ETag Version)?> LoadAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        if (!BatchInstanceId.IsWellFormed(instanceId))
        {
            return null;
        }

        try
        {
            var content = await Record(instanceId).DownloadContentAsync(cancellationToken);
            var state = JsonSerializer.Deserialize(content.Value.Content.ToStream(), BatchJsonContext.Readable.BatchState)
                ?? throw new InvalidDataException($"The state record of {instanceId} is empty.");
            return (state, content.Value.Details.ETag);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Creates the record of a new batch, due at once, or returns the existing one: starting twice starts one
    /// batch. A batch whose record expired after it finished is not started again (<see cref="StartResult.Expired"/>).
    /// </summary>
    public async Task<StartResult> CreateOrLoadAsync(BatchState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (await Tombstone(state.InstanceId).ExistsAsync(cancellationToken))
        {
            return new StartResult(null, default, false, Expired: true);
        }

        try
        {
            var created = await Record(state.InstanceId).UploadAsync(
                Serialize(state),
                new BlobUploadOptions { Metadata = MetadataOf(state, state.StartedAt), Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken);
            return new StartResult(state, created.Value.ETag, Created: true, Expired: false);
        }
        catch (RequestFailedException exception) when (exception.Status is 409 or 412)
        {
            var existing = await LoadAsync(state.InstanceId, cancellationToken)
                ?? throw new InstanceConflictException($"The record of {state.InstanceId} was deleted while being created.", exception);
            return new StartResult(existing.State, existing.Version, Created: false, Expired: false);
        }
    }

    /// <summary>
    /// Replaces the record if it is still at <paramref name="version"/>, with <paramref name="wakeAt"/> as the
    /// time of its next step; returns the new version.
    /// </summary>
    public async Task<ETag> SaveAsync(BatchState state, ETag version, DateTimeOffset? wakeAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            var saved = await Record(state.InstanceId).UploadAsync(
                Serialize(state),
                new BlobUploadOptions { Metadata = MetadataOf(state, wakeAt), Conditions = new BlobRequestConditions { IfMatch = version } },
                cancellationToken);
            return saved.Value.ETag;
        }
        catch (RequestFailedException exception) when (exception.Status == 412)
        {
            throw new InstanceConflictException($"The record of {state.InstanceId} changed since it was read.", exception);
        }
    }

    /// <summary>
    /// Records a cancel request (persisted, so no runner can miss it) and makes the batch due at once. Retries
    /// on concurrent writes; returns the record as saved, or null when there is no such batch.
    /// </summary>
    public async Task<BatchState?> RequestCancelAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (await LoadAsync(instanceId, cancellationToken) is not { } loaded)
            {
                return null;
            }

            var cancelled = BatchDecider.RequestCancel(loaded.State);
            if (ReferenceEquals(cancelled, loaded.State))
            {
                return loaded.State;
            }

            try
            {
                await SaveAsync(cancelled, loaded.Version, timeProvider.GetUtcNow(), cancellationToken);
                return cancelled;
            }
            catch (InstanceConflictException)
            {
                // A runner saved a step meanwhile: read again and ask again.
            }
        }
    }

    /// <summary>Every batch in the store, from blob metadata (one listing call per 5,000 batches); none before the store exists.</summary>
    public async IAsyncEnumerable<InstanceEntry> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var items = Container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = RecordPrefix }, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await items.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (RequestFailedException exception) when (exception.Status == 404)
            {
                // The container is created by the scheduler's first look; until then there is nothing to list.
                yield break;
            }

            if (EntryOf(items.Current) is { } entry)
            {
                yield return entry;
            }
        }
    }

    /// <summary>
    /// Removes a finished batch's record, leaving a marker so that the same input version seen again (the
    /// input kept in place, an event redelivered) starts nothing.
    /// </summary>
    public async Task ExpireAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        await Tombstone(instanceId).UploadAsync(BinaryData.Empty, overwrite: true, cancellationToken);
        await Record(instanceId).DeleteIfExistsAsync(cancellationToken: cancellationToken);
        await LeaseBlob(instanceId).DeleteIfExistsAsync(cancellationToken: cancellationToken);
    }

    /// <summary>Takes ownership of a batch for stepping, or null when another runner owns it.</summary>
    public async Task<InstanceLease?> TryAcquireLeaseAsync(string instanceId, string owner, CancellationToken cancellationToken = default)
    {
        var blob = LeaseBlob(instanceId);
        try
        {
            await blob.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status is 409 or 412)
        {
            // It exists already: the usual case.
        }

        return await InstanceLease.TryAcquireAsync(blob, owner, options.Value.LeaseDuration, cancellationToken);
    }

    private BlobClient Record(string instanceId) => Container.GetBlobClient(RecordPrefix + instanceId + RecordSuffix);

    private BlobClient LeaseBlob(string instanceId) => Container.GetBlobClient("leases/" + instanceId);

    private BlobClient Tombstone(string instanceId) => Container.GetBlobClient("expired/" + instanceId);

    private static BinaryData Serialize(BatchState state) => BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(state, BatchJsonContext.Readable.BatchState));

    private static Dictionary<string, string> MetadataOf(BatchState state, DateTimeOffset? wakeAt)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [PhaseKey] = state.Phase.ToString(),
            [StartedKey] = Format(state.StartedAt),
        };
        if (state.Phase == BatchPhase.Completed)
        {
            metadata[OutcomeKey] = (state.Outcome ?? BatchOutcome.Failed).ToString();
            metadata[CompletedKey] = Format(state.CompletedAt ?? state.StartedAt);
        }
        else if (wakeAt is { } wake)
        {
            metadata[WakeKey] = Format(wake);
        }

        return metadata;
    }

    private static InstanceEntry? EntryOf(BlobItem item)
    {
        var name = item.Name;
        if (!name.EndsWith(RecordSuffix, StringComparison.Ordinal)
            || !item.Metadata.TryGetValue(PhaseKey, out var phaseText) || !Enum.TryParse<BatchPhase>(phaseText, out var phase)
            || !item.Metadata.TryGetValue(StartedKey, out var started))
        {
            return null;
        }

        return new InstanceEntry(
            name[RecordPrefix.Length..^RecordSuffix.Length],
            phase,
            item.Metadata.TryGetValue(OutcomeKey, out var outcome) && Enum.TryParse<BatchOutcome>(outcome, out var parsed) ? parsed : null,
            item.Metadata.TryGetValue(WakeKey, out var wake) ? Parse(wake) : null,
            Parse(started),
            item.Metadata.TryGetValue(CompletedKey, out var completed) ? Parse(completed) : null);
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
