using System.Globalization;
using System.Text.Json;
using BatchFunctions.Core;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>
/// The runner's HTTP API, the routes and contracts of the Function App: start, get, list, cancel, files, and
/// the Event Grid webhook. Errors are RFC 9457 problem details.
/// </summary>
public static class RunnerApi
{
    /// <summary>Maps the API's routes.</summary>
    public static IEndpointRouteBuilder MapBatchFunctionsApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/api/health", () => Results.Json(new Dictionary<string, string> { ["status"] = "ok" }, RunnerJsonContext.Default.DictionaryStringString));
        endpoints.MapPost("/api/batches", StartAsync);
        endpoints.MapGet("/api/batches", ListAsync);
        endpoints.MapGet("/api/batches/{id}", GetAsync);
        endpoints.MapPost("/api/batches/{id}/cancel", CancelAsync);
        endpoints.MapPost("/api/batches/{id}/retry", RetryAsync);
        endpoints.MapGet("/api/batches/{id}/files/{kind}", FileAsync);
        endpoints.MapPost("/api/events", EventGridWebhook.ReceiveAsync);
        endpoints.MapMethods("/api/events", ["OPTIONS"], EventGridWebhook.Handshake);
        endpoints.MapFallback(context => Problem(StatusCodes.Status404NotFound, "Not found", $"No route {context.Request.Method} {context.Request.Path}.").ExecuteAsync(context));
        return endpoints;
    }

    /// <summary>The problem details answer of a refusal.</summary>
    internal static IResult Problem(StartRefused refused) => Problem(refused.Status, refused.Title, refused.Detail, refused.Errors);

    /// <summary>A problem details answer.</summary>
    internal static IResult Problem(int status, string title, string? detail, IReadOnlyList<string>? errors = null) =>
        Results.Json(new ApiProblem("about:blank", title, status, detail, errors), BatchJsonContext.Readable.ApiProblem, "application/problem+json", status);

    private static async Task<IResult> StartAsync(HttpContext context, StartRequestReader reader, BatchRunner runner, InstanceStore store, BatchScheduler scheduler, TimeProvider timeProvider, IOptions<RunnerOptions> options)
    {
        var request = context.Request;
        var settings = options.Value;
        var upload = UploadQuery.IsJsonl(request.ContentType);
        var limit = upload ? settings.MaxUploadBytes : settings.MaxInlineBytes;
        if (request.ContentLength > limit)
        {
            return TooLarge(limit, upload);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = limit;
        }

        StartDecision decision;
        try
        {
            var key = IdempotencyStore.KeyOf(request.Headers[IdempotencyStore.Header]);
            decision = await reader.ReadAsync(request.Body, request.ContentType, name => request.Query[name], key, context.RequestAborted);
        }
        catch (Exception exception) when (IsTooLarge(exception))
        {
            return TooLarge(limit, upload);
        }

        return await AnswerAsync(context, decision, runner, store, scheduler, timeProvider);
    }

    /// <summary><c>POST /api/batches/{id}/retry?only=...&amp;model=...</c>: a new batch of the lines of a finished batch that did not succeed.</summary>
    private static async Task<IResult> RetryAsync(string id, HttpContext context, BatchRetrier retrier, BatchRunner runner, InstanceStore store, BatchScheduler scheduler, TimeProvider timeProvider)
    {
        var request = context.Request;
        var parent = await store.LoadAsync(id, context.RequestAborted) is (var state, _) ? BatchStatus.From(state, timeProvider.GetUtcNow()) : null;
        var key = IdempotencyStore.KeyOf(request.Headers[IdempotencyStore.Header]);
        var decision = await retrier.PrepareAsync(id, parent, request.Query["only"].FirstOrDefault(), request.Query["model"].FirstOrDefault(), key, context.RequestAborted);
        return await AnswerAsync(context, decision, runner, store, scheduler, timeProvider);
    }

    /// <summary>Acts on what a start (or retry) request came to, as the Function App does.</summary>
    private static async Task<IResult> AnswerAsync(HttpContext context, StartDecision decision, BatchRunner runner, InstanceStore store, BatchScheduler scheduler, TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow();
        switch (decision)
        {
            case StartRefused refused:
                return Problem(refused);

            case StartDryRun dryRun:
                return Results.Json(dryRun.Response, BatchJsonContext.Readable.DryRunResponse);

            case StartRepeated repeated:
                var known = await store.LoadAsync(repeated.InstanceId, context.RequestAborted) is (var knownState, _) ? BatchStatus.From(knownState, now) : null;
                return Started(context, repeated.InstanceId, created: false, known);

            case StartSource start:
                BatchState? state = null;
                var (instanceId, created) = await StartRequestReader.StartAsync(
                    start,
                    async source =>
                    {
                        var started = await runner.StartAsync(source, context.RequestAborted);
                        state = started.State;
                        return (state?.InstanceId, started.Created);
                    },
                    context.RequestAborted);
                if (instanceId is null || state is null)
                {
                    return Problem(StatusCodes.Status409Conflict, "Batch already ran", $"This input version ran as batch {BatchInstanceId.From(start.Source)}, whose record has expired; upload it again to run it again.");
                }

                scheduler.Wake();
                return Started(context, instanceId, created, instanceId == state.InstanceId ? BatchStatus.From(state, now) : null, start.Retry);

            default:
                throw new InvalidOperationException($"Unknown start decision {decision.GetType().Name}.");
        }
    }

    private static IResult Started(HttpContext context, string instanceId, bool created, BatchStatus? status, RetryPlan? retry = null)
    {
        var request = context.Request;
        var self = $"{request.Scheme}://{request.Host}{request.PathBase}/api/batches/{instanceId}";
        context.Response.Headers.Location = self;
        return Results.Json(new StartBatchResponse(instanceId, created, self, self + "/cancel", status, retry), BatchJsonContext.Readable.StartBatchResponse, statusCode: created ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
    }

    private static async Task<IResult> GetAsync(string id, InstanceStore store, BatchRetrier retrier, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (await store.LoadAsync(id, cancellationToken) is not (var state, _))
        {
            return UnknownBatch(id);
        }

        var status = BatchStatus.From(state, timeProvider.GetUtcNow());
        if (status.Phase == BatchPhase.Completed)
        {
            status = status with { Retries = await retrier.ListRetriesAsync(status.InputName, status.Id, cancellationToken) };
        }

        return Results.Json(status, BatchJsonContext.Readable.BatchStatus);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, InstanceStore store, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (paging, pagingError) = ListPaging.Parse(request.Query["page"].ToString(), request.Query["page_size"].ToString());
        if (paging is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid paging", pagingError);
        }

        var (page, pageSize) = paging;

        var (filter, filterError) = BatchStatusFilter.Parse(request.Query["status"].ToString());
        if (filter is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid status filter", filterError);
        }

        var matching = new List<InstanceEntry>();
        await foreach (var entry in store.ListAsync(cancellationToken))
        {
            if (filter.Matches(entry.Phase, entry.Outcome))
            {
                matching.Add(entry);
            }
        }

        var now = timeProvider.GetUtcNow();
        var pageEntries = matching.OrderByDescending(e => e.StartedAt).ThenBy(e => e.Id, StringComparer.Ordinal).Skip(page * pageSize).Take(pageSize).ToList();
        var batches = new List<BatchStatus>(pageEntries.Count);
        foreach (var entry in pageEntries)
        {
            if (await store.LoadAsync(entry.Id, cancellationToken) is (var state, _))
            {
                batches.Add(BatchStatus.From(state, now));
            }
        }

        int? next = (page + 1) * pageSize < matching.Count ? page + 1 : null;
        return Results.Json(new BatchList(batches, page, pageSize, next), BatchJsonContext.Readable.BatchList);
    }

    private static async Task<IResult> CancelAsync(string id, InstanceStore store, MistralClient mistral, BatchScheduler scheduler, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (await store.LoadAsync(id, cancellationToken) is not (var current, _))
        {
            return UnknownBatch(id);
        }

        if (current.Phase == BatchPhase.Completed)
        {
            return Problem(StatusCodes.Status409Conflict, "Batch is over", $"Batch '{id}' already ended {current.Outcome}.");
        }

        var state = await store.RequestCancelAsync(id, cancellationToken) ?? current;
        scheduler.Wake();

        // The recorded flag is what the workflow acts on; asking Mistral now only saves a poll interval.
        foreach (var part in state.Parts.Where(p => p.JobId is not null && !p.IsTerminal))
        {
            try
            {
                await mistral.CancelBatchJobAsync(part.JobId!, cancellationToken);
            }
            catch (MistralApiException)
            {
            }
        }

        return Results.Json(BatchStatus.From(state, timeProvider.GetUtcNow()), BatchJsonContext.Readable.BatchStatus, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> FileAsync(string id, string kind, InstanceStore store, BatchStorage storage, CancellationToken cancellationToken)
    {
        if (!Enum.TryParse<BatchFileKind>(kind.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var fileKind) || int.TryParse(kind, CultureInfo.InvariantCulture, out _))
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown file", $"Files are {string.Join(", ", Enum.GetNames<BatchFileKind>().Select(n => n.Replace("Combined", "combined-", StringComparison.Ordinal).ToLowerInvariant()))}.");
        }

        if (await store.LoadAsync(id, cancellationToken) is not (var state, _))
        {
            return UnknownBatch(id);
        }

        try
        {
            var download = await storage.FileOf(state.Source.Name, id, fileKind).DownloadStreamingAsync(cancellationToken: cancellationToken);
            var contentType = fileKind is BatchFileKind.Results or BatchFileKind.Errors or BatchFileKind.CombinedResults or BatchFileKind.CombinedErrors ? "application/x-ndjson" : "application/json";
            return Results.Stream(download.Value.Content, contentType, fileDownloadName: null);
        }
        catch (Azure.RequestFailedException exception) when (exception.Status == 404)
        {
            return Problem(StatusCodes.Status404NotFound, "No such file", $"Batch '{id}' has no {fileKind.ToString().ToLowerInvariant()} file{(state.Phase == BatchPhase.Completed ? string.Empty : " yet")}.");
        }
    }

    /// <summary>
    /// Middleware: a body Kestrel could not read (bad chunk framing, fewer bytes than its Content-Length, a body
    /// that stopped arriving) is the client's mistake, answered with a 4xx problem on every route, not a 500.
    /// </summary>
    internal static async Task RefuseUnreadableBodiesAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception exception) when (BadRequestStatus(exception) is { } status && !context.Response.HasStarted)
        {
            context.Response.Clear();
            await Problem(UnreadableBody.Refusal(status)).ExecuteAsync(context);
        }
    }

    internal static bool IsTooLarge(Exception? exception) => BadRequestStatus(exception) == StatusCodes.Status413PayloadTooLarge;

    /// <summary>The status Kestrel gave up reading a request with (400, 408, 413), when that is what <paramref name="exception"/> is.</summary>
    internal static int? BadRequestStatus(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is BadHttpRequestException bad)
            {
                return bad.StatusCode;
            }
        }

        return null;
    }

    private static IResult TooLarge(long limit, bool upload) =>
        Problem(
            StatusCodes.Status413PayloadTooLarge,
            "Body too large",
            upload
                ? string.Create(CultureInfo.InvariantCulture, $"A JSONL upload may have at most {limit} bytes (Runner:MaxUploadBytes); drop larger files into the input container.")
                : string.Create(CultureInfo.InvariantCulture, $"Inline requests may have at most {limit} bytes of JSON (Runner:MaxInlineBytes); send them as JSONL (Content-Type application/x-ndjson) or as a blob."));

    private static IResult UnknownBatch(string id) => Problem(StatusCodes.Status404NotFound, "Unknown batch", $"No batch '{id}'.");
}
