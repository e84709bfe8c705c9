using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace BatchFunctions.Core.Mistral;

/// <summary>
/// Mistral's Files and Batch Jobs API. Every call either returns the server's answer or throws one
/// <see cref="MistralApiException"/>; transient failures are retried by the HTTP pipeline first.
/// </summary>
public sealed class MistralClient(HttpClient httpClient, IOptions<MistralClientOptions> options, TimeProvider timeProvider, ILogger<MistralClient> logger)
{
    /// <summary>Query keys of the job list; a metadata key may not shadow one, since metadata is flattened into the query.</summary>
    private static readonly HashSet<string> JobListKeys = new(StringComparer.Ordinal)
    {
        "page", "page_size", "model", "agent_id", "metadata", "created_after", "created_by_me", "status", "order_by",
    };

    private readonly MistralClientOptions _options = options.Value;

    /// <summary>
    /// Uploads a file, streaming <paramref name="content"/> as it is read: nothing is buffered whole.
    /// The stream stays open and owned by the caller. A seekable stream is rewound and re-sent on a transient
    /// failure; a non-seekable one is sent once.
    /// </summary>
    public async Task<MistralFile> UploadFileAsync(Stream content, string fileName, UploadFileOptions? uploadOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanRead)
        {
            throw new ArgumentException("The content stream must be readable.", nameof(content));
        }

        ValidateFileName(fileName);
        uploadOptions ??= new UploadFileOptions();
        if (string.IsNullOrEmpty(uploadOptions.Purpose.Value))
        {
            throw new ArgumentException("A purpose is required.", nameof(uploadOptions));
        }

        var form = new MultipartFormDataContent();
        var file = new StreamContent(new NonClosingStream(content), 64 * 1024);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        // Only a plain quoted filename: RFC 5987 filename* is not understood by every multipart parser.
        file.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data")
        {
            Name = "\"file\"",
            FileName = fileName.All(char.IsAscii) ? $"\"{fileName}\"" : fileName,
        };
        form.Add(file);
        form.Add(new StringContent(uploadOptions.Purpose.Value), "purpose");
        if (uploadOptions.Expiry is { } expiry)
        {
            form.Add(new StringContent(expiry.ToString(CultureInfo.InvariantCulture)), "expiry");
        }

        if (uploadOptions.Visibility is { } visibility)
        {
            form.Add(new StringContent(visibility.Value), "visibility");
        }

        // Retrying an upload whose response was lost may leave one unused file at Mistral; it costs
        // nothing and the workflow deletes its inputs after use. Safer than failing a 500 MB transfer.
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/files") { Content = form };
        request.Options.Set(MistralHttpOptions.RetryMode, content.CanSeek ? MistralRetryMode.Transient : MistralRetryMode.None);
        request.Options.Set(MistralHttpOptions.AttemptTimeout, _options.TransferTimeout);
        var uploaded = await SendAsync(request, "upload file", MistralJsonContext.Default.MistralFile, cancellationToken);
        MistralLog.FileUploaded(logger, uploaded.Id, uploaded.Bytes, uploaded.NumLines);
        return uploaded;
    }

    /// <summary>Lists one page of files.</summary>
    public Task<MistralFileList> ListFilesAsync(FileListQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new FileListQuery();
        ValidatePaging(query.Page, query.PageSize, nameof(query));
        var path = "v1/files" + new MistralQuery()
            .Add("page", query.Page)
            .Add("page_size", query.PageSize)
            .Add("include_total", query.IncludeTotal)
            .AddEach("sample_type", query.SampleTypes)
            .AddEach("source", query.Sources)
            .Add("search", query.Search)
            .Add("purpose", query.Purpose?.Value)
            .AddEach("mimetypes", query.Mimetypes);
        return GetAsync(path, "list files", MistralJsonContext.Default.MistralFileList, cancellationToken);
    }

    /// <summary>Every file matching <paramref name="query"/>, page after page from its <see cref="FileListQuery.Page"/>.</summary>
    public IAsyncEnumerable<MistralFile> GetAllFilesAsync(FileListQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new FileListQuery();
        return PagesAsync(
            query.Page,
            query.PageSize,
            async (page, token) =>
            {
                var list = await ListFilesAsync(query with { Page = page }, token);
                return (list.Data, list.Total);
            },
            cancellationToken);
    }

    /// <summary>Gets a file's description.</summary>
    public Task<MistralFile> GetFileAsync(string fileId, CancellationToken cancellationToken = default) =>
        GetAsync($"v1/files/{EscapeId(fileId, nameof(fileId))}", "get file", MistralJsonContext.Default.MistralFile, cancellationToken);

    /// <summary>Deletes a file.</summary>
    public async Task<DeletionResult> DeleteFileAsync(string fileId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"v1/files/{EscapeId(fileId, nameof(fileId))}");
        return await SendAsync(request, "delete file", MistralJsonContext.Default.DeletionResult, cancellationToken);
    }

    /// <summary>
    /// Opens a file's content as a stream read straight from the response: dispose it to release the connection.
    /// </summary>
    public async Task<Stream> DownloadFileAsync(string fileId, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"v1/files/{EscapeId(fileId, nameof(fileId))}/content");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/octet-stream"));
        request.Options.Set(MistralHttpOptions.AttemptTimeout, _options.TransferTimeout);
        var response = await SendCheckedAsync(request, "download file", cancellationToken);
        try
        {
            return new ResponseStream(await response.Content.ReadAsStreamAsync(cancellationToken), response, request);
        }
        catch
        {
            response.Dispose();
            request.Dispose();
            throw;
        }
    }

    /// <summary>Gets a signed URL to download a file without the API key, valid for 1 to 168 hours.</summary>
    public async Task<Uri> GetFileSignedUrlAsync(string fileId, int expiryHours = 24, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expiryHours, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(expiryHours, 168);
        var path = $"v1/files/{EscapeId(fileId, nameof(fileId))}/url" + new MistralQuery().Add("expiry", expiryHours);
        var result = await GetAsync(path, "get signed url", MistralJsonContext.Default.SignedUrl, cancellationToken);
        return result.Url;
    }

    /// <summary>
    /// Creates a batch job. Not retried on anything but 429, which the server answers before doing any
    /// work: a create whose response was lost may have made a job, and only the caller can look for it
    /// (by the metadata it set) before trying again, so that no work is paid for twice.
    /// </summary>
    public async Task<BatchJob> CreateBatchJobAsync(CreateBatchJobRequest jobRequest, CancellationToken cancellationToken = default)
    {
        ValidateCreate(jobRequest);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/batch/jobs")
        {
            Content = JsonContent.Create(jobRequest, MistralJsonContext.Default.CreateBatchJobRequest),
        };
        request.Options.Set(MistralHttpOptions.RetryMode, MistralRetryMode.RateLimitedOnly);
        var job = await SendAsync(request, "create batch job", MistralJsonContext.Default.BatchJob, cancellationToken);
        MistralLog.BatchJobCreated(logger, job.Id, job.Endpoint.Value, job.Status.Value);
        return job;
    }

    /// <summary>Lists one page of batch jobs.</summary>
    public Task<BatchJobList> ListBatchJobsAsync(BatchJobListQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new BatchJobListQuery();
        ValidatePaging(query.Page, query.PageSize, nameof(query));
        var builder = new MistralQuery()
            .Add("page", query.Page)
            .Add("page_size", query.PageSize)
            .Add("model", query.Model)
            .Add("agent_id", query.AgentId)
            .Add("created_after", query.CreatedAfter?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture))
            .Add("created_by_me", query.CreatedByMe)
            .AddEach("status", query.Statuses)
            .Add("order_by", query.OldestFirst ? "created" : "-created");

        // A dict query parameter is flattened: each metadata key is its own query key (contract section 1).
        foreach (var (key, value) in query.Metadata ?? new Dictionary<string, string>())
        {
            if (JobListKeys.Contains(key))
            {
                throw new ArgumentException($"Metadata key '{key}' cannot be used as a filter: it is also a list parameter.", nameof(query));
            }

            ValidateMetadataPair(key, value, nameof(query));
            builder.Add(key, value);
        }

        return GetAsync("v1/batch/jobs" + builder, "list batch jobs", MistralJsonContext.Default.BatchJobList, cancellationToken);
    }

    /// <summary>Every batch job matching <paramref name="query"/>, page after page from its <see cref="BatchJobListQuery.Page"/>.</summary>
    public IAsyncEnumerable<BatchJob> GetAllBatchJobsAsync(BatchJobListQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new BatchJobListQuery();
        return PagesAsync(
            query.Page,
            query.PageSize,
            async (page, token) =>
            {
                var list = await ListBatchJobsAsync(query with { Page = page }, token);
                return (list.Data, list.Total);
            },
            cancellationToken);
    }

    /// <summary>Gets a batch job; with <paramref name="inline"/> its results come back in <see cref="BatchJob.Outputs"/>.</summary>
    public Task<BatchJob> GetBatchJobAsync(string jobId, bool? inline = null, CancellationToken cancellationToken = default) =>
        GetAsync(
            $"v1/batch/jobs/{EscapeId(jobId, nameof(jobId))}" + new MistralQuery().Add("inline", inline),
            "get batch job",
            MistralJsonContext.Default.BatchJob,
            cancellationToken);

    /// <summary>Asks Mistral to cancel a job. Safe to repeat, so retried like a read.</summary>
    public async Task<BatchJob> CancelBatchJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/batch/jobs/{EscapeId(jobId, nameof(jobId))}/cancel");
        var job = await SendAsync(request, "cancel batch job", MistralJsonContext.Default.BatchJob, cancellationToken);
        MistralLog.BatchJobCancelRequested(logger, job.Id, job.Status.Value);
        return job;
    }

    /// <summary>Deletes a batch job.</summary>
    public async Task<DeletionResult> DeleteBatchJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"v1/batch/jobs/{EscapeId(jobId, nameof(jobId))}");
        return await SendAsync(request, "delete batch job", MistralJsonContext.Default.DeletionResult, cancellationToken);
    }

    private async Task<T> GetAsync<T>(string path, string operation, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendAsync(request, operation, typeInfo, cancellationToken);
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, string operation, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        using var response = await SendCheckedAsync(request, operation, cancellationToken);
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await JsonSerializer.DeserializeAsync(stream, typeInfo, cancellationToken)
                ?? throw new MistralApiException((int)response.StatusCode, $"Mistral {operation} returned an empty body.");
        }
        catch (JsonException exception)
        {
            throw new MistralApiException((int)response.StatusCode, $"Mistral {operation} returned a body that could not be read: {exception.Message}", exception);
        }
    }

    private async Task<HttpResponseMessage> SendCheckedAsync(HttpRequestMessage request, string operation, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        var started = timeProvider.GetTimestamp();
        try
        {
            response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or TimeoutRejectedException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            MistralLog.TransportFailed(logger, operation, exception.GetType().Name);
            throw new MistralApiException($"Mistral {operation} failed to reach the server: {exception.GetType().Name}.", exception);
        }

        MistralLog.RequestCompleted(logger, request.Method.Method, request.RequestUri?.OriginalString ?? string.Empty, (int)response.StatusCode, (long)timeProvider.GetElapsedTime(started).TotalMilliseconds);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var error = await MistralErrorParser.ReadAsync(response, operation, timeProvider, cancellationToken);
            MistralLog.RequestFailed(logger, operation, error.Status, error.ErrorType, error.ErrorCode, error.RequestId);
            throw error;
        }
    }

    private void ValidateCreate(CreateBatchJobRequest jobRequest)
    {
        ArgumentNullException.ThrowIfNull(jobRequest);
        const string name = nameof(jobRequest);
        if (string.IsNullOrEmpty(jobRequest.Endpoint.Value))
        {
            throw new ArgumentException("An endpoint is required.", name);
        }

        var hasFiles = jobRequest.InputFiles is { Count: > 0 };
        var hasRequests = jobRequest.Requests is { Count: > 0 };
        if (hasFiles == hasRequests)
        {
            throw new ArgumentException("Give exactly one of InputFiles or Requests, not empty.", name);
        }

        if (hasFiles && jobRequest.InputFiles!.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("InputFiles contains an empty file id.", name);
        }

        if (hasRequests && jobRequest.Requests!.Count > _options.MaxInlineRequests)
        {
            throw new ArgumentException($"At most {_options.MaxInlineRequests} inline requests are accepted; upload a file instead.", name);
        }

        if (hasRequests && jobRequest.Requests!.Any(r => r.Body.ValueKind != JsonValueKind.Object))
        {
            throw new ArgumentException("Every inline request needs a JSON object body.", name);
        }

        if (jobRequest.Model is not null && jobRequest.AgentId is not null)
        {
            throw new ArgumentException("Give a Model or an AgentId, not both.", name);
        }

        if (jobRequest.TimeoutHours is < 1 or > 168)
        {
            throw new ArgumentException("TimeoutHours must be between 1 and 168.", name);
        }

        foreach (var (key, value) in jobRequest.Metadata ?? new Dictionary<string, string>())
        {
            ValidateMetadataPair(key, value, name);
        }
    }

    private static void ValidateMetadataPair(string key, string value, string parameterName)
    {
        if (key.Length is < 1 or > 32)
        {
            throw new ArgumentException($"Metadata key '{key}' must be 1 to 32 characters.", parameterName);
        }

        if (string.IsNullOrEmpty(value) || value.Length > 512)
        {
            throw new ArgumentException($"Metadata value of '{key}' must be 1 to 512 characters.", parameterName);
        }
    }

    private static void ValidatePaging(int page, int pageSize, string parameterName)
    {
        if (page < 0)
        {
            throw new ArgumentException("Page must not be negative.", parameterName);
        }

        if (pageSize < 1)
        {
            throw new ArgumentException("PageSize must be at least 1.", parameterName);
        }
    }

    private static void ValidateFileName(string fileName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        if (fileName.Length > 255 || fileName.Any(c => c is '"' or '\\' || char.IsControl(c)))
        {
            throw new ArgumentException("The file name must be at most 255 characters, without quotes, backslashes or control characters.", nameof(fileName));
        }
    }

    private static string EscapeId(string id, string parameterName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id, parameterName);
        return Uri.EscapeDataString(id);
    }

    /// <summary>Every item of a paged list, from <paramref name="firstPage"/> until a short, empty or last-by-total page.</summary>
    private static async IAsyncEnumerable<T> PagesAsync<T>(
        int firstPage,
        int pageSize,
        Func<int, CancellationToken, Task<(IReadOnlyList<T> Items, long? Total)>> fetch,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var page = firstPage; ; page++)
        {
            var (items, total) = await fetch(page, cancellationToken);
            foreach (var item in items)
            {
                yield return item;
            }

            if (items.Count == 0 || items.Count < pageSize || (total is { } all && (long)(page + 1) * pageSize >= all))
            {
                yield break;
            }
        }
    }
}
