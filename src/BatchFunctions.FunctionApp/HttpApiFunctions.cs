using System.Globalization;
using System.Net;
using System.Text.Json;
using BatchFunctions.Core;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// The HTTP API, with the runner's routes and contracts: start, get, list, cancel. Errors are RFC 9457
/// problem details. Function keys protect every route.
/// </summary>
public sealed class HttpApiFunctions(BatchStarter starter, BatchSubmitter submitter, MistralClient mistral, TimeProvider timeProvider)
{
    private const int MaxPageSize = 100;

    /// <summary><c>POST /api/batches</c>: 202 with the status and our URLs plus Durable's management URLs.</summary>
    [Function(nameof(StartBatch))]
    public async Task<HttpResponseData> StartBatch(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        StartBatchRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(request.Body, BatchJsonContext.Default.StartBatchRequest, context.CancellationToken);
        }
        catch (JsonException)
        {
            return await ProblemAsync(request, HttpStatusCode.BadRequest, "Invalid JSON", "The body must be a JSON start request: {\"blob\": {...}} or {\"requests\": [...]}.");
        }

        var (source, errors) = await submitter.ResolveAsync(body ?? new StartBatchRequest(), context.CancellationToken);
        if (source is null)
        {
            return await ProblemAsync(request, HttpStatusCode.BadRequest, "Invalid start request", string.Join(" ", errors));
        }

        var (instanceId, started) = await starter.StartAsync(client, source, context.CancellationToken);
        var response = request.CreateResponse(started ? HttpStatusCode.Accepted : HttpStatusCode.OK);
        var self = new Uri(request.Url, $"/api/batches/{instanceId}");
        response.Headers.Add("Location", self.ToString());
        await response.WriteAsJsonAsync(new
        {
            id = instanceId,
            status_url = self.ToString(),
            cancel_url = new Uri(request.Url, $"/api/batches/{instanceId}/cancel").ToString(),
            durable = client.CreateHttpManagementPayload(instanceId, request),
        });
        response.StatusCode = started ? HttpStatusCode.Accepted : HttpStatusCode.OK;
        return response;
    }

    /// <summary><c>GET /api/batches/{id}</c>: the shared status record.</summary>
    [Function(nameof(GetBatch))]
    public async Task<HttpResponseData> GetBatch(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches/{id}")] HttpRequestData request,
        string id,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var status = await ReadStatusAsync(client, id, context.CancellationToken);
        return status is null
            ? await ProblemAsync(request, HttpStatusCode.NotFound, "Unknown batch", $"No batch '{id}'.")
            : await JsonAsync(request, HttpStatusCode.OK, status);
    }

    /// <summary><c>GET /api/batches?status=Polling&amp;page=0&amp;page_size=50</c>.</summary>
    [Function(nameof(ListBatches))]
    public async Task<HttpResponseData> ListBatches(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var query = System.Web.HttpUtility.ParseQueryString(request.Url.Query);
        var filter = query["status"];
        if (!int.TryParse(query["page"] ?? "0", NumberStyles.Integer, CultureInfo.InvariantCulture, out var page) || page < 0
            || !int.TryParse(query["page_size"] ?? "50", NumberStyles.Integer, CultureInfo.InvariantCulture, out var pageSize) || pageSize is < 1 or > MaxPageSize)
        {
            return await ProblemAsync(request, HttpStatusCode.BadRequest, "Invalid paging", $"page must be 0 or more and page_size from 1 to {MaxPageSize}.");
        }

        var statuses = new List<BatchStatus>();
        var skipped = 0;
        await foreach (var instance in client.GetAllInstancesAsync(null))
        {
            if (instance.ReadCustomStatusAs<BatchStatus>() is not { } status
                || (filter is not null && !string.Equals(status.Phase.ToString(), filter, StringComparison.OrdinalIgnoreCase) && !string.Equals(status.Outcome?.ToString(), filter, StringComparison.OrdinalIgnoreCase)))
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

        return await JsonAsync(request, HttpStatusCode.OK, statuses);
    }

    /// <summary><c>POST /api/batches/{id}/cancel</c>: raises the cancel event and asks Mistral to cancel at once.</summary>
    [Function(nameof(CancelBatch))]
    public async Task<HttpResponseData> CancelBatch(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches/{id}/cancel")] HttpRequestData request,
        string id,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(context);
        var status = await ReadStatusAsync(client, id, context.CancellationToken);
        if (status is null)
        {
            return await ProblemAsync(request, HttpStatusCode.NotFound, "Unknown batch", $"No batch '{id}'.");
        }

        if (status.Phase == BatchPhase.Completed)
        {
            return await ProblemAsync(request, HttpStatusCode.Conflict, "Batch is over", $"Batch '{id}' already ended {status.Outcome}.");
        }

        // The event is the orchestration's record of the request; Mistral's own CANCELLATION_REQUESTED is the
        // second one, seen at the next poll even if the event were lost.
        await client.RaiseEventAsync(id, BatchOrchestrator.CancelEvent, true);
        foreach (var jobId in status.Parts.Where(p => p.JobId is not null && p.JobStatus is not ("SUCCESS" or "FAILED" or "TIMEOUT_EXCEEDED" or "CANCELLED")).Select(p => p.JobId!))
        {
            try
            {
                await mistral.CancelBatchJobAsync(jobId, context.CancellationToken);
            }
            catch (MistralApiException)
            {
                // The orchestration cancels the jobs itself; this call only saves time.
            }
        }

        return await JsonAsync(request, HttpStatusCode.Accepted, status with { CancelRequested = true });
    }

    private async Task<BatchStatus?> ReadStatusAsync(DurableTaskClient client, string id, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        if (instance is null)
        {
            return null;
        }

        return instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed
            ? instance.ReadOutputAs<BatchStatus>()
            : instance.ReadCustomStatusAs<BatchStatus>() ?? PendingStatus(id, instance.InstanceId);
    }

    private BatchStatus PendingStatus(string id, string instanceId) => new(
        id, BatchPhase.Validating, null, string.Empty, instanceId, 0, 0, 0, 0, 0, null, [], null, null, null, false, timeProvider.GetUtcNow(), null);

    private static async Task<HttpResponseData> JsonAsync<T>(HttpRequestData request, HttpStatusCode status, T value)
    {
        var response = request.CreateResponse(status);
        await response.WriteAsJsonAsync(value);
        response.StatusCode = status;
        return response;
    }

    private static async Task<HttpResponseData> ProblemAsync(HttpRequestData request, HttpStatusCode status, string title, string detail)
    {
        var response = request.CreateResponse(status);
        response.Headers.Add("Content-Type", "application/problem+json");
        await response.WriteStringAsync(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = "about:blank",
            ["title"] = title,
            ["status"] = (int)status,
            ["detail"] = detail,
        }));
        return response;
    }
}
