using System.Globalization;
using System.Text.Json;
using BatchFunctions.Core;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// The HTTP API, with the runner's routes and contracts: start, get, list, cancel. Errors are RFC 9457
/// problem details. Function keys protect every route.
/// </summary>
public sealed class HttpApiFunctions(BatchStarter starter, BatchSubmitter submitter, MistralClient mistral)
{
    private const int MaxPageSize = 100;

    /// <summary><c>POST /api/batches</c>: 202 (200 when it already existed) with our URLs and Durable's management payload.</summary>
    [Function(nameof(StartBatch))]
    public async Task<IActionResult> StartBatch(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        StartBatchRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(request.Body, BatchJsonContext.Default.StartBatchRequest, cancellationToken);
        }
        catch (JsonException)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid JSON", "The body must be a JSON start request: {\"blob\": {...}} or {\"requests\": [...]}.");
        }

        var (source, errors) = await submitter.ResolveAsync(body ?? new StartBatchRequest(), cancellationToken);
        if (source is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid start request", string.Join(" ", errors));
        }

        var (instanceId, started) = await starter.StartAsync(client, source, cancellationToken);
        var self = $"{request.Scheme}://{request.Host}/api/batches/{instanceId}";
        var payload = new Dictionary<string, object?>
        {
            ["id"] = instanceId,
            ["started"] = started,
            ["status_url"] = self,
            ["cancel_url"] = self + "/cancel",
            ["durable"] = client.CreateHttpManagementPayload(instanceId),
        };
        return new ObjectResult(payload) { StatusCode = started ? StatusCodes.Status202Accepted : StatusCodes.Status200OK };
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
        return status is null ? Problem(StatusCodes.Status404NotFound, "Unknown batch", $"No batch '{id}'.") : new OkObjectResult(status);
    }

    /// <summary><c>GET /api/batches?status=Polling&amp;page=0&amp;page_size=50</c>.</summary>
    [Function(nameof(ListBatches))]
    public async Task<IActionResult> ListBatches(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var filter = request.Query["status"].ToString();
        if (!int.TryParse(request.Query["page"].ToString() is { Length: > 0 } p ? p : "0", NumberStyles.Integer, CultureInfo.InvariantCulture, out var page) || page < 0
            || !int.TryParse(request.Query["page_size"].ToString() is { Length: > 0 } s ? s : "50", NumberStyles.Integer, CultureInfo.InvariantCulture, out var pageSize) || pageSize is < 1 or > MaxPageSize)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid paging", $"page must be 0 or more and page_size from 1 to {MaxPageSize}.");
        }

        var statuses = new List<BatchStatus>();
        var skipped = 0;
        await foreach (var instance in client.GetAllInstancesAsync(null).WithCancellation(cancellationToken))
        {
            if (instance.ReadCustomStatusAs<BatchStatus>() is not { } status
                || (filter.Length > 0 && !string.Equals(status.Phase.ToString(), filter, StringComparison.OrdinalIgnoreCase) && !string.Equals(status.Outcome?.ToString(), filter, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (skipped++ < page * pageSize)
            {
                continue;
            }

            statuses.Add(status);
            if (statuses.Count == pageSize)
            {
                break;
            }
        }

        return new OkObjectResult(statuses);
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
        await client.RaiseEventAsync(id, BatchOrchestrator.CancelEvent, true);
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

        return new ObjectResult(status with { CancelRequested = true }) { StatusCode = StatusCodes.Status202Accepted };
    }

    private static async Task<BatchStatus?> ReadStatusAsync(DurableTaskClient client, string id, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        if (instance is null)
        {
            return null;
        }

        return instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed
            ? instance.ReadOutputAs<BatchStatus>()
            : instance.ReadCustomStatusAs<BatchStatus>();
    }

    private static ObjectResult Problem(int status, string title, string detail) =>
        new(new ProblemDetails { Type = "about:blank", Title = title, Status = status, Detail = detail })
        {
            StatusCode = status,
            ContentTypes = { "application/problem+json" },
        };
}
