using BatchFunctions.Core.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// The HTTP API, with the runner's routes and contracts, each a trigger over <see cref="BatchApi"/>: start,
/// retry, get, list, cancel, files. Errors are RFC 9457 problem details. Function keys protect every route.
/// </summary>
public sealed class HttpApiFunctions(BatchApi api, BatchStarter starter, TimeProvider timeProvider)
{
    /// <summary><c>POST /api/batches</c> (JSON start request, or a JSONL body): 202 (200 when it already existed) with the status and cancel URLs.</summary>
    [Function(nameof(StartBatch))]
    public async Task<IActionResult> StartBatch(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);

        // A JSONL body is streamed into the input container; the host's request size limit applies.
        var key = IdempotencyStore.KeyOf(request.Headers[IdempotencyStore.Header]);
        try
        {
            return Write(request, await api.StartAsync(Instances(client), request.Body, request.ContentType, name => request.Query[name], key, BaseUrl(request), cancellationToken));
        }
        catch (BadHttpRequestException exception)
        {
            // The web server gave up on the body (bad chunk framing, fewer bytes than its Content-Length, too slow).
            return Write(request, ApiResponse.Problem(UnreadableBody.Refusal(exception.StatusCode)));
        }
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
        var key = IdempotencyStore.KeyOf(request.Headers[IdempotencyStore.Header]);
        return Write(request, await api.RetryAsync(Instances(client), id, request.Query["only"].FirstOrDefault(), request.Query["model"].FirstOrDefault(), key, BaseUrl(request), cancellationToken));
    }

    /// <summary><c>GET /api/batches/{id}</c>: the shared status record.</summary>
    [Function(nameof(GetBatch))]
    public async Task<IActionResult> GetBatch(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches/{id}")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        Write(request, await api.GetAsync(Instances(client), id, cancellationToken));

    /// <summary><c>GET /api/batches?status=Polling&amp;page=0&amp;page_size=50</c>: a <see cref="BatchList"/> page.</summary>
    [Function(nameof(ListBatches))]
    public async Task<IActionResult> ListBatches(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Write(request, await BatchApi.ListAsync(Instances(client), request.Query["page"].ToString(), request.Query["page_size"].ToString(), request.Query["status"].ToString(), cancellationToken));
    }

    /// <summary><c>POST /api/batches/{id}/cancel</c>: raises the cancel event and asks Mistral to cancel at once.</summary>
    [Function(nameof(CancelBatch))]
    public async Task<IActionResult> CancelBatch(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches/{id}/cancel")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        Write(request, await api.CancelAsync(Instances(client), id, cancellationToken));

    /// <summary><c>GET /api/batches/{id}/files/{kind}</c>: streams results, errors, summary or rejection.</summary>
    [Function(nameof(GetBatchFile))]
    public async Task<IActionResult> GetBatchFile(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches/{id}/files/{kind}")] HttpRequest request,
        string id,
        string kind,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        Write(request, await api.FileAsync(Instances(client), id, kind, cancellationToken));

    private DurableInstances Instances(DurableTaskClient client) => new(client, starter, timeProvider);

    private static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

    /// <summary>Writes an answer of <see cref="BatchApi"/>.</summary>
    private static IActionResult Write(HttpRequest request, ApiResponse response)
    {
        if (response.Location is { } location)
        {
            request.HttpContext.Response.Headers.Location = location;
        }

        return response.Content is { } content
            ? new FileStreamResult(content, response.ContentType)
            : new ContentResult { Content = response.Text, ContentType = response.ContentType, StatusCode = response.Status };
    }
}
