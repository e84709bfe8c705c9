using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace BatchFunctions.Core.Api;

/// <summary>
/// A request's hold on an <c>Idempotency-Key</c>: taken before anything is stored, renewed while the request
/// works (so that the requests waiting for it can tell a slow upload from a dead one), and ended either by
/// recording the batch it started or by letting the key go. Disposing lets the key go unless it was recorded.
/// </summary>
public sealed class IdempotencyClaim : IAsyncDisposable
{
    private readonly BlobClient _blob;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ITimer _renewal;
    private ETag _etag;
    private bool _ended;

    internal IdempotencyClaim(BlobClient blob, ETag etag, TimeProvider timeProvider, TimeSpan renewEvery)
    {
        _blob = blob;
        _etag = etag;
        _timeProvider = timeProvider;
        _renewal = timeProvider.CreateTimer(_ => _ = RenewAsync(), null, renewEvery, renewEvery);
    }

    /// <summary>
    /// Records that the key started <paramref name="instanceId"/>; answers the record the key stands for, which
    /// is another request's only when this claim was taken over (it stopped renewing for longer than the claim lasts).
    /// </summary>
    public async Task<IdempotencyRecord> CompleteAsync(string requestHash, string instanceId, CancellationToken cancellationToken = default)
    {
        var record = new IdempotencyRecord(requestHash, instanceId, _timeProvider.GetUtcNow());
        await _gate.WaitAsync(cancellationToken);
        try
        {
            End();
            await _blob.UploadAsync(Serialize(record), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = _etag } }, cancellationToken);
            return record;
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 409 or 412)
        {
            return await IdempotencyStore.ReadAsync(_blob, cancellationToken) is { Record: { IsClaim: false } winner } ? winner : record;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Lets the key go (the request was refused, or failed before it started a batch): the next request with it may claim it.</summary>
    public async Task ReleaseAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_ended)
            {
                return;
            }

            End();
            await _blob.DeleteIfExistsAsync(conditions: new BlobRequestConditions { IfMatch = _etag });
        }
        catch (RequestFailedException exception) when (exception.Status is 409 or 412)
        {
            // Taken over already: the key is another request's now.
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await ReleaseAsync();

    internal static BinaryData Serialize(IdempotencyRecord record) =>
        BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(record, BatchJsonContext.Readable.IdempotencyRecord));

    private void End()
    {
        _ended = true;
        _renewal.Dispose();
    }

    private async Task RenewAsync()
    {
        if (!await _gate.WaitAsync(0))
        {
            // Completing or releasing: nothing to renew.
            return;
        }

        try
        {
            if (_ended)
            {
                return;
            }

            var renewed = await _blob.UploadAsync(Serialize(new IdempotencyRecord(null, null, _timeProvider.GetUtcNow())), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = _etag } });
            _etag = renewed.Value.ETag;
        }
        catch (RequestFailedException)
        {
            // Lost (taken over) or storage did not answer: the next renewal or the completion finds out which.
        }
        finally
        {
            _gate.Release();
        }
    }
}
