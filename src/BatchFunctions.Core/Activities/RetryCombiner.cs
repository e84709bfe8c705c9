using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Activities;

/// <summary>One attempt at a batch's lines, in a retry's combined summary.</summary>
/// <param name="Id">The attempt's batch id.</param>
/// <param name="ParentId">The attempt it retried; null for the first.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Requests">Lines it sent.</param>
/// <param name="Succeeded">Of those, succeeded.</param>
/// <param name="Failed">Of those, failed.</param>
/// <param name="Missing">Of those, without an answer from a successful job.</param>
/// <param name="NotProcessed">Of those, never processed.</param>
public sealed record AttemptSummary(string Id, string? ParentId, BatchOutcome Outcome, long Requests, long Succeeded, long Failed, long Missing, long NotProcessed);

/// <summary>A retry's <c>combined/summary.json</c>: the whole original input, each line from its latest attempt.</summary>
/// <param name="InstanceId">The retry that wrote it (the latest attempt).</param>
/// <param name="RootId">The first attempt, whose input is the original.</param>
/// <param name="RootInput">The original input's name.</param>
/// <param name="Requests">Requests in the original input.</param>
/// <param name="Succeeded">Lines in the combined results.</param>
/// <param name="NotSucceeded">Lines in the combined errors.</param>
/// <param name="Attempts">Every attempt, first to latest.</param>
/// <param name="Results">The combined results' URI.</param>
/// <param name="Errors">The combined errors' URI, when any line did not succeed.</param>
public sealed record CombinedSummary(string InstanceId, string RootId, string RootInput, long Requests, long Succeeded, long NotSucceeded, IReadOnlyList<AttemptSummary> Attempts, string Results, string? Errors);

/// <summary>
/// When a retry ends, writes the combined results and errors of the whole original input: its parent's (or,
/// for a retry of a retry, its parent's combined ones) with the retried lines replaced by this attempt's,
/// in original order. Streams every file once; holds the original input's custom_id index (its 8-byte hashes).
/// </summary>
public sealed class RetryCombiner(BatchStorage storage)
{
    /// <summary>Writes the combined files of retry <paramref name="instanceId"/>; answers their URIs, or null when the parent's files or the original order are gone.</summary>
    public async Task<(string Results, string? Errors, string Summary)?> WriteAsync(
        string instanceId, string inputName, BatchSettings settings, BatchUsage usage, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(usage);
        if (settings is not { ParentId: { } parentId, ParentInput: { } parentInput })
        {
            return null;
        }

        var parentSummary = await BlobJson.ReadIfExistsAsync(storage.Output.GetBlobClient(BlobLayout.Summary(parentInput, parentId)), BatchJsonContext.Readable.BatchSummary, cancellationToken);
        if (parentSummary is null)
        {
            return null;
        }

        // A parent that is itself a retry already holds the whole input in its combined files.
        var parentCombined = await BlobJson.ReadIfExistsAsync(storage.Output.GetBlobClient(BlobLayout.CombinedSummary(parentInput, parentId)), BatchJsonContext.Readable.CombinedSummary, cancellationToken);
        var (rootId, rootInput) = parentCombined is { } earlier ? (earlier.RootId, earlier.RootInput) : (parentId, parentInput);
        var ordinals = new CustomIdIndex(1024);
        var requests = await IndexRootAsync(rootId, rootInput, ordinals, cancellationToken);
        var replaced = await ReadHashesAsync(instanceId, cancellationToken);
        if (requests is null || replaced is null)
        {
            return null;
        }

        var baseResults = parentCombined is null ? storage.Output.GetBlobClient(BlobLayout.Results(parentInput, parentId)) : storage.Output.GetBlobClient(BlobLayout.CombinedResults(parentInput, parentId));
        var baseErrors = parentCombined is null ? storage.Errors.GetBlobClient(BlobLayout.Errors(parentInput, parentId)) : storage.Errors.GetBlobClient(BlobLayout.CombinedErrors(parentInput, parentId));
        var resultsBlob = storage.Output.GetBlockBlobClient(BlobLayout.CombinedResults(inputName, instanceId));
        var errorsBlob = storage.Errors.GetBlockBlobClient(BlobLayout.CombinedErrors(inputName, instanceId));
        var succeeded = await CombineAsync(baseResults, storage.Output.GetBlobClient(BlobLayout.Results(inputName, instanceId)), ordinals, null, resultsBlob, cancellationToken);
        var failed = await CombineAsync(baseErrors, storage.Errors.GetBlobClient(BlobLayout.Errors(inputName, instanceId)), ordinals, replaced, errorsBlob, cancellationToken);
        if (failed == 0)
        {
            await errorsBlob.DeleteIfExistsAsync(cancellationToken: cancellationToken);
        }

        var attempts = parentCombined?.Attempts.ToList() ?? [Attempt(parentSummary)];
        attempts.Add(new AttemptSummary(instanceId, parentId, outcome, usage.Requests, usage.Succeeded, usage.Failed, usage.Missing, usage.NotProcessed));
        var summaryBlob = storage.Output.GetBlobClient(BlobLayout.CombinedSummary(inputName, instanceId));
        var summary = new CombinedSummary(instanceId, rootId, rootInput, requests.Value, succeeded, failed, attempts, resultsBlob.Uri.ToString(), failed > 0 ? errorsBlob.Uri.ToString() : null);
        await summaryBlob.UploadAsync(
            BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(summary, BatchJsonContext.Readable.CombinedSummary)),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } },
            cancellationToken);
        return (resultsBlob.Uri.ToString(), summary.Errors, summaryBlob.Uri.ToString());
    }

    private static AttemptSummary Attempt(BatchSummary summary) => new(
        summary.InstanceId,
        summary.ParentId,
        summary.Status,
        summary.Usage?.Requests ?? 0,
        summary.Usage?.Succeeded ?? 0,
        summary.Usage?.Failed ?? 0,
        summary.Usage?.Missing ?? 0,
        summary.Usage?.NotProcessed ?? 0);

    private static async Task<long> CombineAsync(BlobClient earlier, BlobClient retry, CustomIdIndex ordinals, CustomIdSet? replaced, BlockBlobClient destination, CancellationToken cancellationToken)
    {
        await using var first = await BatchFiles.OpenIfExistsAsync(earlier, cancellationToken);
        await using var second = await BatchFiles.OpenIfExistsAsync(retry, cancellationToken);
        await using var output = await destination.OpenWriteAsync(overwrite: true, BlockChecksum.LineByLine(headers: new BlobHttpHeaders { ContentType = "application/x-ndjson" }), cancellationToken);
        return await JsonlCombiner.CombineAsync(first, second, ordinals, replaced, output, cancellationToken);
    }

    /// <summary>The original input's custom_id ordinals, from its validation's hashes or else its archived input; null when neither is kept.</summary>
    private async Task<long?> IndexRootAsync(string rootId, string rootInput, CustomIdIndex ordinals, CancellationToken cancellationToken)
    {
        var hashes = storage.Staging.GetBlobClient(BlobLayout.IdHashes(rootId));
        var archived = storage.Archive.GetBlobClient(BlobLayout.Archived(rootInput, rootId));
        var useHashes = (await hashes.ExistsAsync(cancellationToken)).Value;
        if (!useHashes && !(await archived.ExistsAsync(cancellationToken)).Value)
        {
            return null;
        }

        var part = new JsonlMergePart(
            async token => (await archived.DownloadStreamingAsync(cancellationToken: token)).Value.Content,
            _ => Task.FromResult<Stream?>(null),
            _ => Task.FromResult<Stream?>(null),
            OpenIdHashes: useHashes ? async token => (await hashes.DownloadStreamingAsync(cancellationToken: token)).Value.Content : null);
        return await JsonlMerger.IndexInputAsync(part, ordinals, new JsonlMergeOptions(), cancellationToken);
    }

    /// <summary>The custom_ids of this attempt's own input (its validation's hashes), whose earlier lines it replaces.</summary>
    private async Task<CustomIdSet?> ReadHashesAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var stream = await BatchFiles.OpenIfExistsAsync(storage.Staging.GetBlobClient(BlobLayout.IdHashes(instanceId)), cancellationToken);
        if (stream is null)
        {
            return null;
        }

        var set = new CustomIdSet();
        await CustomIdHashes.ReadAsync(stream, hash =>
        {
            if (hash != 0)
            {
                set.AddHash(hash);
            }
        }, cancellationToken);
        return set;
    }
}
