using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Api;

/// <summary>
/// A client of the BatchFunctions HTTP API, the same on a self-hosted runner and on a Function App: the
/// key goes in <c>x-functions-key</c>, errors come back as <see cref="BatchApiException"/> with the problem's title
/// and detail. The caller owns <paramref name="httpClient"/> (its base address is the host's root).
/// </summary>
public sealed class BatchApiClient(HttpClient httpClient, string? apiKey = null)
{
    /// <summary>The header carrying the key, as Azure Functions expects it.</summary>
    public const string KeyHeader = "x-functions-key";

    /// <summary>
    /// Streams a JSONL file to the host, which stores it as a new input and starts its batch. With
    /// <paramref name="idempotencyKey"/>, sending the same request again (after a lost answer) starts nothing new.
    /// </summary>
    public async Task<StartBatchResponse> SubmitAsync(Stream jsonl, StartBatchRequest settings, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jsonl);
        ArgumentNullException.ThrowIfNull(settings);
        var query = UploadQuery.Format(settings);
        using var content = new StreamContent(jsonl);
        content.Headers.ContentType = new MediaTypeHeaderValue(UploadQuery.ContentType);
        using var request = NewRequest(HttpMethod.Post, "api/batches" + (query.Length == 0 ? string.Empty : "?" + query));
        request.Content = content;
        AddKey(request, idempotencyKey);
        return await SendAsync(request, BatchJsonContext.Readable.StartBatchResponse, cancellationToken);
    }

    /// <summary>Starts the batch of an uploaded blob or of inline requests; <paramref name="idempotencyKey"/> as for <see cref="SubmitAsync"/>.</summary>
    public async Task<StartBatchResponse> StartAsync(StartBatchRequest start, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        using var request = NewRequest(HttpMethod.Post, "api/batches");
        request.Content = JsonContent.Create(start, BatchJsonContext.Readable.StartBatchRequest);
        AddKey(request, idempotencyKey);
        return await SendAsync(request, BatchJsonContext.Readable.StartBatchResponse, cancellationToken);
    }

    /// <summary>The batch's status, or null when the host knows no such batch.</summary>
    public async Task<BatchStatus?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        using var request = NewRequest(HttpMethod.Get, "api/batches/" + Uri.EscapeDataString(id));
        try
        {
            return await SendAsync(request, BatchJsonContext.Readable.BatchStatus, cancellationToken);
        }
        catch (BatchApiException exception) when (exception.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>A page of batches, newest first, optionally only those in a phase or with an outcome.</summary>
    public async Task<BatchList> ListAsync(string? status = null, int page = 0, int pageSize = 50, CancellationToken cancellationToken = default)
    {
        var query = string.Create(CultureInfo.InvariantCulture, $"api/batches?page={page}&page_size={pageSize}");
        if (status is { Length: > 0 })
        {
            query += "&status=" + Uri.EscapeDataString(status);
        }

        using var request = NewRequest(HttpMethod.Get, query);
        return await SendAsync(request, BatchJsonContext.Readable.BatchList, cancellationToken);
    }

    /// <summary>
    /// Starts a batch of the lines of finished batch <paramref name="id"/> that did not succeed (<paramref name="only"/>:
    /// failed, missing, cancelled or all; by default all but those that cannot succeed), with its model or <paramref name="model"/>.
    /// </summary>
    public async Task<StartBatchResponse> RetryAsync(string id, string? only = null, string? model = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (only is not null)
        {
            query.Add("only=" + Uri.EscapeDataString(only));
        }

        if (model is not null)
        {
            query.Add("model=" + Uri.EscapeDataString(model));
        }

        using var request = NewRequest(HttpMethod.Post, "api/batches/" + Uri.EscapeDataString(id) + "/retry" + (query.Count == 0 ? string.Empty : "?" + string.Join("&", query)));
        AddKey(request, idempotencyKey);
        return await SendAsync(request, BatchJsonContext.Readable.StartBatchResponse, cancellationToken);
    }

    /// <summary>Asks for the batch to be cancelled; returns its status with the request recorded.</summary>
    public async Task<BatchStatus> CancelAsync(string id, CancellationToken cancellationToken = default)
    {
        using var request = NewRequest(HttpMethod.Post, "api/batches/" + Uri.EscapeDataString(id) + "/cancel");
        return await SendAsync(request, BatchJsonContext.Readable.BatchStatus, cancellationToken);
    }

    /// <summary>Streams one of the batch's files into <paramref name="destination"/>; false when it does not exist.</summary>
    public async Task<bool> DownloadAsync(string id, BatchFileKind kind, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var request = NewRequest(HttpMethod.Get, "api/batches/" + Uri.EscapeDataString(id) + "/files/" + kind.ToString().ToLowerInvariant());
        using var response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await ThrowIfFailedAsync(response, cancellationToken);
        await response.Content.CopyToAsync(destination, cancellationToken);
        return true;
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (apiKey is { Length: > 0 })
        {
            request.Headers.Add(KeyHeader, apiKey);
        }

        return request;
    }

    private static void AddKey(HttpRequestMessage request, string? idempotencyKey)
    {
        if (idempotencyKey is not null)
        {
            request.Headers.Add(IdempotencyStore.Header, idempotencyKey);
        }
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync(type, cancellationToken)
            ?? throw new BatchApiException(response.StatusCode, "Empty answer", "The host answered without a body.");
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        ApiProblem? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync(BatchJsonContext.Readable.ApiProblem, cancellationToken);
        }
        catch (JsonException)
        {
        }
        catch (NotSupportedException)
        {
            // Not JSON (a proxy's page, say): the status alone has to do.
        }

        // Each error on its own line (a JSONL report's lines, say), under the detail when it says more.
        var detail = problem?.Errors is { Count: > 0 } errors
            ? (problem.Detail is { } summary && summary != string.Join(" ", errors) ? summary + Environment.NewLine : string.Empty) + string.Join(Environment.NewLine, errors.Select(e => "  " + e))
            : problem?.Detail;
        throw new BatchApiException(response.StatusCode, problem?.Title ?? response.ReasonPhrase, detail);
    }
}
