using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.Core.Storage;

/// <summary>
/// The blob work the activities share: streamed reads (of a version, a range, or a blob that may not be
/// there), copies and joins inside the storage service, archiving an input, and the parts' inputs and
/// custom_id hashes in staging.
/// </summary>
public sealed class BatchFiles(BatchStorage storage, ILogger<BatchFiles> logger)
{
    // Blobs written line by line hold one block in memory until it is staged (see BlockChecksum.LineByLine).
    private static readonly BlockBlobOpenWriteOptions SmallBlocks = BlockChecksum.LineByLine();

    private static readonly StorageTransferOptions Transfer = new() { MaximumConcurrency = 2, InitialTransferSize = 4 * 1024 * 1024, MaximumTransferSize = 4 * 1024 * 1024 };

    // A block staged from a URL may be up to 4000 MiB; 256 MiB keeps a part of a few hundred MB to one or two.
    private const long JoinBlockBytes = 256L * 1024 * 1024;

    /// <summary>
    /// A blob's content as one streamed download (resumed from where it broke, on the same version, should the
    /// connection drop): no 4 MiB read-ahead buffer per stream, so reading many blobs in turn leaves no large
    /// garbage behind, and one request per blob instead of one per 4 MiB.
    /// </summary>
    public static async Task<Stream> OpenStreamingAsync(BlobClient blob, string? etag, HttpRange range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (range.Length == 0)
        {
            return new MemoryStream([], writable: false);
        }

        var options = new BlobDownloadOptions { Range = range, Conditions = etag is null ? null : new BlobRequestConditions { IfMatch = new ETag(etag) } };
        return (await blob.DownloadStreamingAsync(options, cancellationToken)).Value.Content;
    }

    /// <summary><paramref name="blob"/>'s content as one streamed download, or null when there is no such blob.</summary>
    public static async Task<Stream?> OpenIfExistsAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return await OpenStreamingAsync(blob, null, default, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The blob's length, in one request; 0 when it does not exist.</summary>
    public static async Task<long> LengthIfExistsAsync(BlobBaseClient blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        try
        {
            return (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ContentLength;
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return 0;
        }
    }

    /// <summary>Writes <paramref name="value"/> as <paramref name="blob"/>'s JSON.</summary>
    public static async Task WriteJsonAsync<T>(BlobClient blob, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        await blob.UploadAsync(
            BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo)),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } },
            cancellationToken);
    }

    /// <summary>The part's custom_id hashes: its slice of the hashes its batch's validation wrote.</summary>
    public Task<Stream> OpenIdHashesAsync(string instanceId, long firstRequest, long requests, CancellationToken cancellationToken) =>
        OpenStreamingAsync(storage.Staging.GetBlobClient(BlobLayout.IdHashes(instanceId)), null, new HttpRange(firstRequest * sizeof(ulong), requests * sizeof(ulong)), cancellationToken);

    /// <summary>Whether validation's custom_id hashes can index these parts (hashes swept away with a batch older than the staging retention leave the input to index: slower, never lost).</summary>
    public async Task<bool> HasIdHashesAsync(string instanceId, IReadOnlyList<PartState> parts, CancellationToken cancellationToken) =>
        parts.Any(p => p.FirstRequest is not null)
        && (await storage.Staging.GetBlobClient(BlobLayout.IdHashes(instanceId)).ExistsAsync(cancellationToken)).Value;

    /// <summary>A part's input lines: its range of the input (of the archived input, once a finalize that crashed after archiving runs again).</summary>
    public async Task<Stream> OpenPartInputAsync(PartState part, BatchSource? source, string instanceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(part);
        var blob = storage.Blobs.GetBlobContainerClient(part.Container).GetBlobClient(part.BlobName);
        if (source is not null && part.Container == source.Container && part.BlobName == source.Name && !await blob.ExistsAsync(cancellationToken))
        {
            blob = storage.Archive.GetBlobClient(BlobLayout.Archived(source.Name, instanceId));
        }

        return await OpenStreamingAsync(blob, null, part.Offset is { } offset ? new HttpRange(offset, part.Bytes) : default, cancellationToken);
    }

    /// <summary>
    /// Writes the parts' merged files, in part order, as <paramref name="target"/>, inside the storage service
    /// where it can (one part is copied; several become the blocks of the target, staged from their URLs);
    /// otherwise streamed through this process in turn (the lines are in order already).
    /// </summary>
    public async Task JoinAsync(string instanceId, IReadOnlyList<PartState> parts, Func<string, int, string> name, BlockBlobClient target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(target);
        var sources = parts.Select(p => storage.Staging.GetBlobClient(name(instanceId, p.Index))).ToList();
        if (sources.Count == 1)
        {
            await CopyAsync(sources[0], null, storage.Blobs.GetBlobContainerClient(target.BlobContainerName).GetBlobClient(target.Name), cancellationToken);
            return;
        }

        if (sources.All(s => s.CanGenerateSasUri))
        {
            try
            {
                await StageBlocksFromAsync(sources, target, cancellationToken);
                return;
            }
            catch (RequestFailedException exception) when (exception.Status is 400 or 401 or 403)
            {
                // The service would not read the sources on our behalf, or found a part other than its MD5 says
                // (rewritten by a second run of its collect after the hash was set): stream them instead.
                ActivityLog.JoinedThroughProcess(logger, instanceId, exception.Status, exception.ErrorCode);

                // Committing no block drops the blocks staged so far: the writer's own block ids differ in length,
                // which the service refuses within one blob.
                await target.CommitBlockListAsync([], cancellationToken: cancellationToken);
            }
        }

        await using var output = await target.OpenWriteAsync(overwrite: true, SmallBlocks, cancellationToken);
        foreach (var source in sources)
        {
            await using var content = await OpenStreamingAsync(source, null, default, cancellationToken);
            await content.CopyToAsync(output, cancellationToken);
        }
    }

    /// <summary>
    /// Moves or copies the batch's input to the archive container as <see cref="BatchStorageOptions.ArchiveMode"/>
    /// says (a failed batch's input is always kept), deleting only this version of it from the input container.
    /// </summary>
    public async Task ArchiveInputAsync(BatchSource source, string instanceId, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var mode = storage.Options.ArchiveMode;
        if (mode == ArchiveMode.Keep)
        {
            return;
        }

        var input = storage.Blobs.GetBlobContainerClient(source.Container).GetBlobClient(source.Name);
        var sameVersion = new BlobRequestConditions { IfMatch = new ETag(source.ETag) };
        if (mode == ArchiveMode.Archive || outcome != BatchOutcome.Succeeded)
        {
            var archived = storage.Archive.GetBlobClient(BlobLayout.Archived(source.Name, instanceId));
            try
            {
                await CopyAsync(input, source.ETag, archived, cancellationToken);
            }
            catch (RequestFailedException exception) when (exception.Status is 404 or 412)
            {
                // Already archived by an earlier attempt, or replaced by a newer upload that is not ours to move.
                return;
            }
        }

        try
        {
            // Only this version: a newer upload under the same name is pending work and stays.
            await input.DeleteAsync(conditions: sameVersion, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 412)
        {
            ActivityLog.InputNotDeleted(logger, instanceId, exception.Status);
        }
    }

    /// <summary>
    /// Copies this version of <paramref name="input"/> (any version when <paramref name="etag"/> is null) to
    /// <paramref name="target"/> inside the storage service (no byte crosses the network to us); where the
    /// service refuses to authorize that copy, through this process as a stream.
    /// </summary>
    private static async Task CopyAsync(BlobClient input, string? etag, BlobClient target, CancellationToken cancellationToken)
    {
        try
        {
            var copy = await target.StartCopyFromUriAsync(
                input.Uri,
                new BlobCopyFromUriOptions { SourceConditions = etag is null ? null : new BlobRequestConditions { IfMatch = new ETag(etag) } },
                cancellationToken);
            await copy.WaitForCompletionAsync(cancellationToken);
            return;
        }
        catch (RequestFailedException exception) when (exception.Status is 401 or 403)
        {
            // An identity that may read but not authorize a service-side copy of the source.
        }

        await using var content = await OpenStreamingAsync(input, etag, default, cancellationToken);
        await target.UploadAsync(content, new BlobUploadOptions { TransferOptions = Transfer, TransferValidation = BlockChecksum.Md5 }, cancellationToken);
    }

    /// <summary>
    /// Makes <paramref name="target"/> the concatenation of <paramref name="sources"/> with Put Block From URL:
    /// blocks of up to <see cref="JoinBlockBytes"/> read by the service through a short read-only SAS of each
    /// source, committed in order. Deterministic block ids make a second run stage the same blocks again.
    /// </summary>
    private static async Task StageBlocksFromAsync(List<BlobClient> sources, BlockBlobClient target, CancellationToken cancellationToken)
    {
        var blocks = new List<string>();
        for (var index = 0; index < sources.Count; index++)
        {
            var source = sources[index];
            var properties = (await source.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            var length = properties.ContentLength;
            // The service checks a SAS against its own clock: the wall clock, whatever clock the workflow runs on.
            var sas = source.GenerateSasUri(Azure.Storage.Sas.BlobSasPermissions.Read, TimeProvider.System.GetUtcNow().AddHours(1));
            for (long offset = 0, chunk = 0; offset < length; offset += JoinBlockBytes, chunk++)
            {
                var id = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"part-{index:D5}-{chunk:D6}")));
                var whole = length <= JoinBlockBytes && properties.ContentHash is { Length: > 0 };
                await target.StageBlockFromUriAsync(
                    sas,
                    id,
                    new StageBlockFromUriOptions { SourceRange = new HttpRange(offset, Math.Min(JoinBlockBytes, length - offset)), SourceContentHash = whole ? properties.ContentHash : null },
                    cancellationToken);
                blocks.Add(id);
            }
        }

        await target.CommitBlockListAsync(blocks, cancellationToken: cancellationToken);
    }
}
