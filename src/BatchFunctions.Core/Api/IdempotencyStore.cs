using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace BatchFunctions.Core.Api;

/// <summary>What <see cref="IdempotencyStore.AcquireAsync"/> came to: exactly one of the three is set.</summary>
/// <param name="Claim">This request holds the key: it must record its batch or let the key go.</param>
/// <param name="Previous">An earlier request started a batch with the key.</param>
/// <param name="Busy">Another request still holds the key: answer this.</param>
public sealed record KeyAcquisition(IdempotencyClaim? Claim, IdempotencyRecord? Previous, StartRefused? Busy);

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

    /// <summary>How long a claim stands without its holder renewing it before a waiting request may take it over.</summary>
    public static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(1);

    /// <summary>How long a request waits for the request that holds its key before it is answered 409.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The key a request's <see cref="Header"/> values give (both hosts read it so), or null when it has none;
    /// a request with the header twice gets a key that <see cref="RefuseKey"/> refuses.
    /// </summary>
    public static string? KeyOf(StringValues header) => header.Count switch
    {
        0 => null,
        1 => header.ToString(),
        _ => GivenTwice,
    };

    // What KeyOf gives for a header given more than once: no key can be it, since a line break is not printable.
    private const string GivenTwice = "\n";

    /// <summary>The refusal of a request whose <paramref name="key"/> cannot be used; null without a key or with a usable one.</summary>
    public static StartRefused? RefuseKey(string? key) =>
        key is not null && CheckKey(key) is { } problem
            ? new StartRefused(400, "Invalid Idempotency-Key", key == GivenTwice ? $"Give the {Header} header once; this request has it more than once." : problem)
            : null;

    /// <summary>What a request comes to when its key already started <paramref name="previous"/>: that batch for the same request, a refusal for another.</summary>
    public static StartDecision Replay(IdempotencyRecord previous, string requestHash)
    {
        ArgumentNullException.ThrowIfNull(previous);
        return previous.RequestHash == requestHash
            ? new StartRepeated(previous.InstanceId!)
            : new StartRefused(422, "Idempotency-Key reused", $"This {Header} started batch {previous.InstanceId} with another request; use a new key for a new batch.");
    }

    /// <summary>
    /// Takes <paramref name="key"/> for this request before it stores anything, so that of any number of
    /// requests with one key, on any number of hosts, exactly one starts a batch. Answers the claim when this
    /// request holds the key now; the live record when an earlier request started its batch with it (this
    /// request waits while another holds the key, up to <see cref="WaitLimit"/>); or a 409 when the holder is
    /// still at work after that.
    /// </summary>
    public async Task<KeyAcquisition> AcquireAsync(string key, CancellationToken cancellationToken = default)
    {
        var blob = Blob(key);
        var deadline = timeProvider.GetUtcNow() + WaitLimit;
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var claim = IdempotencyClaim.Serialize(new IdempotencyRecord(null, null, timeProvider.GetUtcNow()));
            try
            {
                var created = await blob.UploadAsync(claim, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
                return new KeyAcquisition(Claimed(blob, created.Value.ETag), null, null);
            }
            catch (RequestFailedException exception) when (exception.Status is 409 or 412)
            {
            }

            var now = timeProvider.GetUtcNow();
            if (await ReadAsync(blob, cancellationToken) is not var (record, etag))
            {
                // Let go in between: claim it again.
                continue;
            }

            var expired = record.IsClaim ? record.CreatedAt + ClaimTimeout < now : record.CreatedAt + defaults.Value.IdempotencyRetention < now;
            if (!expired && !record.IsClaim)
            {
                return new KeyAcquisition(null, record, null);
            }

            if (expired)
            {
                try
                {
                    // A record past its retention, or a claim whose holder stopped renewing it (it died): take it over.
                    var taken = await blob.UploadAsync(claim, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = etag } }, cancellationToken);
                    return new KeyAcquisition(Claimed(blob, taken.Value.ETag), null, null);
                }
                catch (RequestFailedException exception) when (exception.Status is 404 or 409 or 412)
                {
                    continue;
                }
            }

            if (now >= deadline)
            {
                return new KeyAcquisition(null, null, new StartRefused(409, "Idempotency-Key in use", $"Another request with this {Header} is still being processed (for example a large upload); send this request again once it is answered, and it will answer with the same batch."));
            }

            await Task.Delay(pause, timeProvider, cancellationToken);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }

    /// <summary>
    /// What a request with <paramref name="key"/> (or none) comes to: <paramref name="prepare"/> runs with the
    /// record of the earlier request that started a batch with the key, or with this request's claim on it
    /// (never both); a 409 when another request holds the key past <see cref="WaitLimit"/>. Unless
    /// <paramref name="prepare"/> answers a <see cref="StartSource"/> (which carries the claim on to the start),
    /// the key is let go, also when it throws.
    /// </summary>
    public async Task<StartDecision> HoldAsync(string? key, Func<IdempotencyRecord?, IdempotencyClaim?, Task<StartDecision>> prepare, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prepare);
        if (key is null)
        {
            return await prepare(null, null);
        }

        var acquired = await AcquireAsync(key, cancellationToken);
        if (acquired.Busy is { } busy)
        {
            return busy;
        }

        if (acquired.Claim is not { } claim)
        {
            return await prepare(acquired.Previous, null);
        }

        StartDecision decision;
        try
        {
            decision = await prepare(null, claim);
        }
        catch
        {
            await claim.ReleaseAsync();
            throw;
        }

        if (decision is not StartSource)
        {
            // Refused: nothing was started, so the next request with this key may claim it.
            await claim.ReleaseAsync();
        }

        return decision;
    }

    /// <summary>
    /// The record in <paramref name="blob"/> and its ETag, or null when there is none. A blob that holds no
    /// record (damaged, or written by hand) reads as a claim long expired, so that the next request takes it over.
    /// </summary>
    internal static async Task<(IdempotencyRecord Record, ETag ETag)?> ReadAsync(Azure.Storage.Blobs.BlobClient blob, CancellationToken cancellationToken) =>
        await BlobJson.ReadVersionedAsync(blob, BatchJsonContext.Readable.IdempotencyRecord, cancellationToken) is var (record, etag)
            ? (record ?? new IdempotencyRecord(null, null, DateTimeOffset.MinValue), etag)
            : null;

    private IdempotencyClaim Claimed(Azure.Storage.Blobs.BlobClient blob, ETag etag) => new(blob, etag, timeProvider, ClaimTimeout / 4);

    private Azure.Storage.Blobs.BlobClient Blob(string key) =>
        storage.Staging.GetBlobClient("idempotency/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))) + ".json");
}
