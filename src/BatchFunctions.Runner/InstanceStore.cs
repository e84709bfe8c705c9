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
/// One state record per batch, a JSON blob written with optimistic concurrency (ETags): a record is only
/// replaced by whoever read its current version, so two runners never both advance one batch.
/// </summary>
public sealed class InstanceStore(BatchStorage storage, IOptions<RunnerOptions> options)
{
    private BlobContainerClient Container => storage.Blobs.GetBlobContainerClient(options.Value.StateContainer);

    /// <summary>Creates the state container if it does not exist.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default) =>
        await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

    /// <summary>The batch's record and its version, or null.</summary>
    public async Task<(BatchState State, ETag Version)?> LoadAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        try
        {
            var content = await Blob(instanceId).DownloadContentAsync(cancellationToken);
            var state = JsonSerializer.Deserialize(content.Value.Content.ToStream(), BatchJsonContext.Default.BatchState)
                ?? throw new InvalidDataException($"The state record of {instanceId} is empty.");
            return (state, content.Value.Details.ETag);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Creates the record of a new batch, or returns the existing one: starting twice starts one batch.</summary>
    public async Task<(BatchState State, ETag Version, bool Created)> CreateOrLoadAsync(BatchState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            var created = await Blob(state.InstanceId).UploadAsync(
                Serialize(state),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken);
            return (state, created.Value.ETag, true);
        }
        catch (RequestFailedException exception) when (exception.Status is 409 or 412)
        {
            var existing = await LoadAsync(state.InstanceId, cancellationToken)
                ?? throw new InstanceConflictException($"The record of {state.InstanceId} was deleted while being created.", exception);
            return (existing.State, existing.Version, false);
        }
    }

    /// <summary>Replaces the record if it is still at <paramref name="version"/>; returns the new version.</summary>
    public async Task<ETag> SaveAsync(BatchState state, ETag version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            var saved = await Blob(state.InstanceId).UploadAsync(
                Serialize(state),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = version } },
                cancellationToken);
            return saved.Value.ETag;
        }
        catch (RequestFailedException exception) when (exception.Status == 412)
        {
            throw new InstanceConflictException($"The record of {state.InstanceId} changed since it was read.", exception);
        }
    }

    private BlobClient Blob(string instanceId) => Container.GetBlobClient($"instances/{instanceId}.json");

    private static BinaryData Serialize(BatchState state) => BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(state, BatchJsonContext.Default.BatchState));
}
