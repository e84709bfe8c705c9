using System.Globalization;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Api;

/// <summary>
/// The HTTP API of both hosts, once: start, retry, get, list, cancel and files, each answering an
/// <see cref="ApiResponse"/> that the host writes. A host gives its batches' state through
/// <see cref="IBatchInstances"/>, its request's parts, and the base address its links start with.
/// </summary>
public sealed class BatchApi(StartRequestReader reader, BatchRetrier retrier, MistralClient mistral, BatchStorage storage)
{
    /// <summary><c>POST /api/batches</c>: a JSON start request or a JSONL body; 202 when the batch is new, 200 when it existed.</summary>
    /// <param name="host">The host's batches.</param>
    /// <param name="body">The request body.</param>
    /// <param name="contentType">Its content type.</param>
    /// <param name="query">A query parameter's values.</param>
    /// <param name="idempotencyKey">What <see cref="IdempotencyStore.KeyOf"/> read of the request's key.</param>
    /// <param name="baseUrl">The host's address up to <c>/api</c>, for the links it answers with.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<ApiResponse> StartAsync(IBatchInstances host, Stream body, string? contentType, Func<string, IReadOnlyList<string?>> query, string? idempotencyKey, string baseUrl, CancellationToken cancellationToken)
    {
        var decision = await reader.ReadAsync(body, contentType, query, idempotencyKey, cancellationToken);
        return await AnswerAsync(host, decision, baseUrl, cancellationToken);
    }

    /// <summary><c>POST /api/batches/{id}/retry?only=...&amp;model=...</c>: a new batch of the lines of a finished batch that did not succeed.</summary>
    public async Task<ApiResponse> RetryAsync(IBatchInstances host, string id, string? only, string? model, string? idempotencyKey, string baseUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var parent = await FindAsync(host, id, cancellationToken);
        var decision = await retrier.PrepareAsync(id, parent, only, model, idempotencyKey, cancellationToken);
        return await AnswerAsync(host, decision, baseUrl, cancellationToken);
    }

    /// <summary>Acts on what a start (or retry) request came to.</summary>
    public static async Task<ApiResponse> AnswerAsync(IBatchInstances host, StartDecision decision, string baseUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        switch (decision)
        {
            case StartRefused refused:
                return ApiResponse.Problem(refused);

            case StartDryRun dryRun:
                return ApiResponse.Json(200, dryRun.Response, BatchJsonContext.Readable.DryRunResponse);

            case StartRepeated repeated:
                return Started(repeated.InstanceId, created: false, await host.GetAsync(repeated.InstanceId, cancellationToken), null, baseUrl);

            case StartSource start:
                var (instanceId, created) = await StartRequestReader.StartAsync(start, source => host.StartAsync(source, cancellationToken), cancellationToken);
                if (instanceId is null)
                {
                    return ApiResponse.Problem(409, "Batch already ran", $"This input version ran as batch {BatchInstanceId.From(start.Source)}, whose record has expired; upload it again to run it again.");
                }

                return Started(instanceId, created, await host.GetAsync(instanceId, cancellationToken), start.Retry, baseUrl);

            default:
                throw new InvalidOperationException($"Unknown start decision {decision.GetType().Name}.");
        }
    }

    /// <summary><c>GET /api/batches/{id}</c>: its status, with its retries once it is over.</summary>
    public async Task<ApiResponse> GetAsync(IBatchInstances host, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (await FindAsync(host, id, cancellationToken) is not { } status)
        {
            return UnknownBatch(id);
        }

        if (status.Phase == BatchPhase.Completed)
        {
            status = status with { Retries = await retrier.ListRetriesAsync(status.InputName, status.Id, cancellationToken) };
        }

        return ApiResponse.Json(200, status, BatchJsonContext.Readable.BatchStatus);
    }

    /// <summary><c>GET /api/batches?status=...&amp;page=0&amp;page_size=50</c>: newest first, then by id.</summary>
    public static async Task<ApiResponse> ListAsync(IBatchInstances host, string? page, string? pageSize, string? status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var (paging, pagingError) = ListPaging.Parse(page, pageSize);
        if (paging is null)
        {
            return ApiResponse.Problem(400, "Invalid paging", pagingError);
        }

        var (filter, filterError) = BatchStatusFilter.Parse(status);
        if (filter is null)
        {
            return ApiResponse.Problem(400, "Invalid status filter", filterError);
        }

        var matching = new List<BatchListing>();
        await foreach (var listing in host.ListAsync(cancellationToken))
        {
            if (filter.Matches(listing.Phase, listing.Outcome))
            {
                matching.Add(listing);
            }
        }

        var batches = new List<BatchStatus>(paging.PageSize);
        foreach (var listing in matching.OrderByDescending(l => l.StartedAt).ThenBy(l => l.Id, StringComparer.Ordinal).Skip(paging.Skip).Take(paging.PageSize))
        {
            if ((listing.Status ?? await host.GetAsync(listing.Id, cancellationToken)) is { } found)
            {
                batches.Add(found);
            }
        }

        int? next = paging.Skip + paging.PageSize < matching.Count ? paging.Page + 1 : null;
        return ApiResponse.Json(200, new BatchList(batches, paging.Page, paging.PageSize, next), BatchJsonContext.Readable.BatchList);
    }

    /// <summary><c>POST /api/batches/{id}/cancel</c>: records the request, then asks Mistral to cancel its running jobs at once.</summary>
    public async Task<ApiResponse> CancelAsync(IBatchInstances host, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (await FindAsync(host, id, cancellationToken) is not { } current)
        {
            return UnknownBatch(id);
        }

        if (current.Phase == BatchPhase.Completed)
        {
            return ApiResponse.Problem(409, "Batch is over", $"Batch '{id}' already ended {current.Outcome}.");
        }

        var status = await host.RequestCancelAsync(current, cancellationToken);

        // The recorded request is what the workflow acts on, and Mistral's own CANCELLATION_REQUESTED is a
        // second record seen at the next poll; asking Mistral now only saves a poll interval.
        foreach (var jobId in status.Parts.Where(p => p.JobId is not null && !BatchJobStatus.FromValue(p.JobStatus ?? string.Empty).IsTerminal).Select(p => p.JobId!))
        {
            try
            {
                await mistral.CancelBatchJobAsync(jobId, cancellationToken);
            }
            catch (MistralApiException)
            {
            }
        }

        return ApiResponse.Json(202, status, BatchJsonContext.Readable.BatchStatus);
    }

    /// <summary><c>GET /api/batches/{id}/files/{kind}</c>: streams results, errors, summary, rejection or a combined file.</summary>
    public async Task<ApiResponse> FileAsync(IBatchInstances host, string id, string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(kind);
        if (!Enum.TryParse<BatchFileKind>(kind.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var fileKind) || int.TryParse(kind, CultureInfo.InvariantCulture, out _))
        {
            return ApiResponse.Problem(404, "Unknown file", $"Files are {string.Join(", ", Enum.GetNames<BatchFileKind>().Select(n => n.Replace("Combined", "combined-", StringComparison.Ordinal).ToLowerInvariant()))}.");
        }

        if (await FindAsync(host, id, cancellationToken) is not { } status)
        {
            return UnknownBatch(id);
        }

        try
        {
            var download = await storage.FileOf(status.InputName, id, fileKind).DownloadStreamingAsync(cancellationToken: cancellationToken);
            var contentType = fileKind is BatchFileKind.Results or BatchFileKind.Errors or BatchFileKind.CombinedResults or BatchFileKind.CombinedErrors ? "application/x-ndjson" : "application/json";
            return new ApiResponse(200, contentType, null, download.Value.Content);
        }
        catch (Azure.RequestFailedException exception) when (exception.Status == 404)
        {
            return ApiResponse.Problem(404, "No such file", $"Batch '{id}' has no {fileKind.ToString().ToLowerInvariant()} file{(status.Phase == BatchPhase.Completed ? string.Empty : " yet")}.");
        }
    }

    /// <summary>The status of <paramref name="id"/>; an id of another shape was never made here, so the host is not asked.</summary>
    private static async Task<BatchStatus?> FindAsync(IBatchInstances host, string id, CancellationToken cancellationToken) =>
        BatchInstanceId.IsWellFormed(id) ? await host.GetAsync(id, cancellationToken) : null;

    private static ApiResponse Started(string instanceId, bool created, BatchStatus? status, RetryPlan? retry, string baseUrl)
    {
        var self = $"{baseUrl}/api/batches/{instanceId}";
        return ApiResponse.Json(created ? 202 : 200, new StartBatchResponse(instanceId, created, self, self + "/cancel", status, retry), BatchJsonContext.Readable.StartBatchResponse, self);
    }

    private static ApiResponse UnknownBatch(string id) => ApiResponse.Problem(404, "Unknown batch", $"No batch '{id}'.");
}
