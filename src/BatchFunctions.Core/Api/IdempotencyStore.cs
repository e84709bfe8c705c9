using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace BatchFunctions.Core.Api;

/// <summary>
/// The <c>Idempotency-Key</c> records of <c>POST /api/batches</c>, one small blob per key in the staging
/// container (<c>idempotency/{sha256 of the key}.json</c>), shared by every instance of either host.
/// </summary>
public sealed class IdempotencyStore(BatchStorage storage, TimeProvider timeProvider, IOptions<BatchDefaultsOptions> defaults)
{
    /// <summary>The request header.</summary>
    public const string Header = "Idempotency-Key";

    /// <summary>Why <paramref name="key"/> cannot be used, or null.</summary>
    private static string? CheckKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Length is < 1 or > 255 || key.Any(c => c is < ' ' or > '~')
            ? $"The {Header} header must have 1 to 255 printable ASCII characters (a UUID, say)."
            : null;
    }

    /// <summary>The key a request's <see cref="Header"/> values give (both hosts read it so), or null when it has none.</summary>
    public static string? KeyOf(StringValues header) => header.Count > 0 ? header.ToString() : null;

    /// <summary>The refusal of a request whose <paramref name="key"/> cannot be used; null without a key or with a usable one.</summary>
    public static StartRefused? RefuseKey(string? key) =>
        key is not null && CheckKey(key) is { } problem ? new StartRefused(400, "Invalid Idempotency-Key", problem) : null;

    /// <summary>What a request comes to when its key already started <paramref name="previous"/>: that batch for the same request, a refusal for another.</summary>
    public static StartDecision Replay(IdempotencyRecord previous, string requestHash)
    {
        ArgumentNullException.ThrowIfNull(previous);
        return previous.RequestHash == requestHash
            ? new StartRepeated(previous.InstanceId)
            : new StartRefused(422, "Idempotency-Key reused", $"This {Header} started batch {previous.InstanceId} with another request; use a new key for a new batch.");
    }

    /// <summary>The live record of <paramref name="key"/>, or null.</summary>
    public async Task<IdempotencyRecord?> FindAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var content = (await Blob(key).DownloadContentAsync(cancellationToken)).Value.Content;
            var record = JsonSerializer.Deserialize(content.ToMemory().Span, BatchJsonContext.Readable.IdempotencyRecord);
            return record is not null && record.CreatedAt + defaults.Value.IdempotencyRetention > timeProvider.GetUtcNow() ? record : null;
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Records that <paramref name="key"/> started <paramref name="instanceId"/>; when another request recorded it first, returns that record.</summary>
    public async Task<IdempotencyRecord> RecordAsync(string key, string requestHash, string instanceId, CancellationToken cancellationToken = default)
    {
        var record = new IdempotencyRecord(requestHash, instanceId, timeProvider.GetUtcNow());
        var content = BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(record, BatchJsonContext.Readable.IdempotencyRecord));
        try
        {
            // Only where no live record is: an expired one is replaced, a racing one wins.
            await Blob(key).UploadAsync(content, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
            return record;
        }
        catch (RequestFailedException exception) when (exception.Status is 409 or 412)
        {
            if (await FindAsync(key, cancellationToken) is { } winner)
            {
                return winner;
            }

            await Blob(key).UploadAsync(content, overwrite: true, cancellationToken);
            return record;
        }
    }

    private Azure.Storage.Blobs.BlobClient Blob(string key) =>
        storage.Staging.GetBlobClient("idempotency/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))) + ".json");
}
