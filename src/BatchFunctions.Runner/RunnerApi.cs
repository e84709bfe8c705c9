using System.Globalization;
using System.Text;
using BatchFunctions.Core.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
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
    internal static IResult Problem(StartRefused refused)
    {
        var problem = ApiResponse.Problem(refused);
        return Results.Text(problem.Text, problem.ContentType, Encoding.UTF8, problem.Status);
    }

    /// <summary>A problem details answer.</summary>
    internal static IResult Problem(int status, string title, string? detail, IReadOnlyList<string>? errors = null) =>
        Problem(new StartRefused(status, title, detail ?? string.Empty, errors));

    private static async Task<IResult> StartAsync(HttpContext context, BatchApi api, RunnerInstances instances, IOptions<RunnerOptions> options)
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

        try
        {
            var key = IdempotencyStore.KeyOf(request.Headers[IdempotencyStore.Header]);
            return Write(context, await api.StartAsync(instances, request.Body, request.ContentType, name => request.Query[name], key, BaseUrl(request), context.RequestAborted));
        }
        catch (Exception exception) when (IsTooLarge(exception))
        {
            return TooLarge(limit, upload);
        }
    }

    private static async Task<IResult> RetryAsync(string id, HttpContext context, BatchApi api, RunnerInstances instances)
    {
        var request = context.Request;
        var key = IdempotencyStore.KeyOf(request.Headers[IdempotencyStore.Header]);
        return Write(context, await api.RetryAsync(instances, id, request.Query["only"].FirstOrDefault(), request.Query["model"].FirstOrDefault(), key, BaseUrl(request), context.RequestAborted));
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, BatchApi api, RunnerInstances instances) =>
        Write(context, await api.GetAsync(instances, id, context.RequestAborted));

    private static async Task<IResult> ListAsync(HttpContext context, RunnerInstances instances) =>
        Write(context, await BatchApi.ListAsync(instances, context.Request.Query["page"].ToString(), context.Request.Query["page_size"].ToString(), context.Request.Query["status"].ToString(), context.RequestAborted));

    private static async Task<IResult> CancelAsync(string id, HttpContext context, BatchApi api, RunnerInstances instances) =>
        Write(context, await api.CancelAsync(instances, id, context.RequestAborted));

    private static async Task<IResult> FileAsync(string id, string kind, HttpContext context, BatchApi api, RunnerInstances instances) =>
        Write(context, await api.FileAsync(instances, id, kind, context.RequestAborted));

    /// <summary>Writes an answer of <see cref="BatchApi"/>.</summary>
    private static IResult Write(HttpContext context, ApiResponse response)
    {
        if (response.Location is { } location)
        {
            context.Response.Headers.Location = location;
        }

        return response.Content is { } content
            ? Results.Stream(content, response.ContentType)
            : Results.Text(response.Text, response.ContentType, Encoding.UTF8, response.Status);
    }

    private static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

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
}
