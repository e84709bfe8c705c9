using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BatchFunctions.Core;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// The HTTP API, with the runner's routes and contracts: start, get, list, cancel, files. Errors are RFC 9457
/// problem details. Function keys protect every route.
/// </summary>
public sealed class HttpApiFunctions(BatchStarter starter, StartRequestReader reader, BatchRetrier retrier, MistralClient mistral, BatchStorage storage, TimeProvider timeProvider)
{
    /// <summary><c>POST /api/batches</c> (JSON start request, or a JSONL body): 202 (200 when it already existed) with the status and cancel URLs.</summary>
    [Function(nameof(StartBatch))]
    public async Task<IActionResult> StartBatch(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);

        // A JSONL body is streamed into the input container; the host's request size limit applies.
        var key = IdempotencyStore.KeyOf(request.Headers[IdempotencyStore.Header]);
        StartDecision decision;
        try
        {
            decision = await reader.ReadAsync(request.Body, request.ContentType, name => request.Query[name], key, cancellationToken);
        }
        catch (BadHttpRequestException exception)
        {
            // The web server gave up on the body (bad chunk framing, fewer bytes than its Content-Length, too slow).
            decision = UnreadableBody.Refusal(exception.StatusCode);
        }

        return await AnswerAsync(request, decision, client, cancellationToken);
    }

    /// <summary><c>POST /api/batches/{id}/retry?only=...&amp;model=...</c>: a new batch of the lines of a finished batch that did not succeed.</summary>
    [Function(nameof(RetryBatch))]
    public async Task<IActionResult> RetryBatch(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches/{id}/retry")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var key = IdempotencyStore.KeyOf(request.Headers[IdempotencyStore.Header]);
        var parent = await ReadStatusAsync(client, id, cancellationToken);
        var decision = await retrier.PrepareAsync(id, parent, request.Query["only"].FirstOrDefault(), request.Query["model"].FirstOrDefault(), key, cancellationToken);
        return await AnswerAsync(request, decision, client, cancellationToken);
    }

    /// <summary>Acts on what a start (or retry) request came to, as the runner does.</summary>
    private async Task<IActionResult> AnswerAsync(HttpRequest request, StartDecision decision, DurableTaskClient client, CancellationToken cancellationToken)
    {
        switch (decision)
        {
            case StartRefused refused:
                return Problem(refused.Status, refused.Title, refused.Detail, refused.Errors);

            case StartDryRun dryRun:
                return Json(dryRun.Response, BatchJsonContext.Readable.DryRunResponse, StatusCodes.Status200OK);

            case StartRepeated repeated:
                return Started(request, repeated.InstanceId, created: false, await ReadStatusAsync(client, repeated.InstanceId, cancellationToken));

            case StartSource start:
                var (instanceId, created) = await StartRequestReader.StartAsync(start, async source => await starter.StartAsync(client, source, cancellationToken), cancellationToken);
                return Started(request, instanceId!, created, await ReadStatusAsync(client, instanceId!, cancellationToken), start.Retry);

            default:
                throw new InvalidOperationException($"Unknown start decision {decision.GetType().Name}.");
        }
    }

    private static ContentResult Started(HttpRequest request, string instanceId, bool created, BatchStatus? status, RetryPlan? retry = null)
    {
        var self = $"{request.Scheme}://{request.Host}{request.PathBase}/api/batches/{instanceId}";
        request.HttpContext.Response.Headers.Location = self;
        return Json(new StartBatchResponse(instanceId, created, self, self + "/cancel", status, retry), BatchJsonContext.Readable.StartBatchResponse, created ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
    }

    /// <summary><c>GET /api/batches/{id}</c>: the shared status record.</summary>
    [Function(nameof(GetBatch))]
    public async Task<IActionResult> GetBatch(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches/{id}")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        var status = await ReadStatusAsync(client, id, cancellationToken);
        if (status is { Phase: BatchPhase.Completed })
        {
            status = status with { Retries = await retrier.ListRetriesAsync(status.InputName, status.Id, cancellationToken) };
        }

        return status is null ? Problem(StatusCodes.Status404NotFound, "Unknown batch", $"No batch '{id}'.") : Json(status, BatchJsonContext.Readable.BatchStatus, StatusCodes.Status200OK);
    }

    /// <summary><c>GET /api/batches?status=Polling&amp;page=0&amp;page_size=50</c>: a <see cref="BatchList"/> page.</summary>
    [Function(nameof(ListBatches))]
    public async Task<IActionResult> ListBatches(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (paging, pagingError) = ListPaging.Parse(request.Query["page"].ToString(), request.Query["page_size"].ToString());
        if (paging is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid paging", pagingError!);
        }

        var (filter, filterError) = BatchStatusFilter.Parse(request.Query["status"].ToString());
        if (filter is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid status filter", filterError!);
        }

        var (page, pageSize) = paging;
        var statuses = new List<BatchStatus>();
        var skipped = 0;
        await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true }).WithCancellation(cancellationToken))
        {
            if (StatusOf(instance) is not { } status || !filter.Matches(status.Phase, status.Outcome))
            {
                continue;
            }

            if (skipped++ < page * pageSize)
            {
                continue;
            }

            if (statuses.Count == pageSize)
            {
                // One more exists: there is a next page.
                return Json(new BatchList(statuses, page, pageSize, page + 1), BatchJsonContext.Readable.BatchList, StatusCodes.Status200OK);
            }

            statuses.Add(status);
        }

        return Json(new BatchList(statuses, page, pageSize, null), BatchJsonContext.Readable.BatchList, StatusCodes.Status200OK);
    }

    /// <summary><c>POST /api/batches/{id}/cancel</c>: raises the cancel event and asks Mistral to cancel at once.</summary>
    [Function(nameof(CancelBatch))]
    public async Task<IActionResult> CancelBatch(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches/{id}/cancel")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var status = await ReadStatusAsync(client, id, cancellationToken);
        if (status is null)
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown batch", $"No batch '{id}'.");
        }

        if (status.Phase == BatchPhase.Completed)
        {
            return Problem(StatusCodes.Status409Conflict, "Batch is over", $"Batch '{id}' already ended {status.Outcome}.");
        }

        // The event is the orchestration's record of the request; Mistral's own CANCELLATION_REQUESTED is the
        // second one, seen at the next poll even if the event were lost.
        await client.RaiseEventAsync(id, BatchOrchestrator.CancelEvent, true, cancellationToken);
        foreach (var jobId in status.Parts.Where(p => p.JobId is not null && !BatchJobStatus.FromValue(p.JobStatus ?? string.Empty).IsTerminal).Select(p => p.JobId!))
        {
            try
            {
                await mistral.CancelBatchJobAsync(jobId, cancellationToken);
            }
            catch (MistralApiException)
            {
                // The orchestration cancels the jobs itself; this call only saves time.
            }
        }

        return Json(status with { CancelRequested = true }, BatchJsonContext.Readable.BatchStatus, StatusCodes.Status202Accepted);
    }

    /// <summary><c>GET /api/batches/{id}/files/{kind}</c>: streams results, errors, summary or rejection.</summary>
    [Function(nameof(GetBatchFile))]
    public async Task<IActionResult> GetBatchFile(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches/{id}/files/{kind}")] HttpRequest request,
        string id,
        string kind,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (!Enum.TryParse<BatchFileKind>(kind.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var fileKind) || int.TryParse(kind, CultureInfo.InvariantCulture, out _))
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown file", $"Files are {string.Join(", ", Enum.GetNames<BatchFileKind>().Select(n => n.Replace("Combined", "combined-", StringComparison.Ordinal).ToLowerInvariant()))}.");
        }

        if (await ReadStatusAsync(client, id, cancellationToken) is not { } status)
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown batch", $"No batch '{id}'.");
        }

        try
        {
            var download = await storage.FileOf(status.InputName, id, fileKind).DownloadStreamingAsync(cancellationToken: cancellationToken);
            return new FileStreamResult(download.Value.Content, fileKind is BatchFileKind.Results or BatchFileKind.Errors or BatchFileKind.CombinedResults or BatchFileKind.CombinedErrors ? "application/x-ndjson" : "application/json");
        }
        catch (Azure.RequestFailedException exception) when (exception.Status == 404)
        {
            return Problem(StatusCodes.Status404NotFound, "No such file", $"Batch '{id}' has no {kind.ToLowerInvariant()} file.");
        }
    }

    private async Task<BatchStatus?> ReadStatusAsync(DurableTaskClient client, string id, CancellationToken cancellationToken)
    {
        // An id of another shape was never made here: no need to ask the task hub about it.
        if (!BatchInstanceId.IsWellFormed(id))
        {
            return null;
        }

        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        return instance is null ? null : StatusOf(instance);
    }

    /// <summary>
    /// The status of an instance: its output once completed, else its custom status, else (Pending, not yet
    /// run) the status of its input state, so that a batch exists from the moment it was started.
    /// </summary>
    private BatchStatus? StatusOf(OrchestrationMetadata instance)
    {
        if (instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed && instance.ReadOutputAs<BatchStatus>() is { } output)
        {
            return output;
        }

        if (instance.ReadCustomStatusAs<BatchStatus>() is { } custom)
        {
            return custom;
        }

        return instance.ReadInputAs<BatchState>() is { } input ? BatchStatus.From(input, timeProvider.GetUtcNow()) : null;
    }

    // Serialised with Core's context, not MVC's options, so that both hosts answer the same snake_case JSON.
    private static ContentResult Json<T>(T value, JsonTypeInfo<T> type, int status) =>
        new() { Content = JsonSerializer.Serialize(value, type), ContentType = "application/json", StatusCode = status };

    private static ContentResult Problem(int status, string title, string detail, IReadOnlyList<string>? errors = null) =>
        new() { Content = JsonSerializer.Serialize(new ApiProblem("about:blank", title, status, detail, errors), BatchJsonContext.Readable.ApiProblem), ContentType = "application/problem+json", StatusCode = status };
}
