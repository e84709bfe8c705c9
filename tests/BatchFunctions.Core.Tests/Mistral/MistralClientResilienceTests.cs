using BatchFunctions.Core.Mistral;

namespace BatchFunctions.Core.Tests.Mistral;

/// <summary>
/// The HTTP pipeline against injected faults: transients retried to success, 4xx and unsafe POSTs not
/// retried, waits the server asks for honoured, and the key in no log line or exception.
/// </summary>
public sealed class MistralClientResilienceTests : IAsyncLifetime
{
    private MistralTestHost _host = null!;

    private MistralClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await MistralTestHost.StartAsync(
        clientSettings: new Dictionary<string, string?>
        {
            ["Mistral:RequestTimeout"] = "00:00:01",
            ["Mistral:MaxRetryDelay"] = "00:00:05",
        });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("server_error", 500)]
    [InlineData("unavailable", 503)]
    [InlineData("rate_limit", 429)]
    public async Task ListFilesAsync_TransientStatusTwice_RetriesToSuccess(string kind, int status)
    {
        await _host.AddFaultAsync(new { kind, count = 2, path_prefix = "/v1/files" });

        var files = await Client.ListFilesAsync();

        var calls = await CallsToAsync("/v1/files");
        Assert.NotNull(files.Data);
        Assert.Equal([status, status, 200], calls.Select(c => c.Status));
    }

    [Fact]
    public async Task GetFileAsync_ConnectionDropped_RetriesToSuccess()
    {
        using var content = Jsonl.Chat(1);
        var file = await Client.UploadFileAsync(content, "drop.jsonl");
        await _host.ClearCallsAsync();
        await _host.AddFaultAsync(new { kind = "drop", count = 1, path_prefix = "/v1/files/" });

        var fetched = await Client.GetFileAsync(file.Id);

        Assert.Equal(file.Id, fetched.Id);
        Assert.Equal([0, 200], (await CallsToAsync("/v1/files/")).Select(c => c.Status));
    }

    [Fact]
    public async Task ListBatchJobsAsync_SlowerThanTheAttemptTimeout_TimesOutAndRetries()
    {
        await _host.AddFaultAsync(new { kind = "slow", count = 1, delay_milliseconds = 5000, path_prefix = "/v1/batch/jobs" });

        var jobs = await Client.ListBatchJobsAsync();

        Assert.NotNull(jobs.Data);
        var calls = await CallsToAsync("/v1/batch/jobs");
        Assert.Equal([(0, "slow"), (200, null)], calls.Select(c => (c.Status, c.Fault)));
    }

    [Fact]
    public async Task ListFilesAsync_RetryAfterHeader_WaitsAtLeastThatLong()
    {
        await _host.AddFaultAsync(new { kind = "rate_limit", count = 1, retry_after_seconds = 1, path_prefix = "/v1/files" });

        await Client.ListFilesAsync();

        var calls = await CallsToAsync("/v1/files");
        Assert.Equal([429, 200], calls.Select(c => c.Status));
        Assert.True(calls[1].StartedMilliseconds - calls[0].StartedMilliseconds >= 900, $"retried after {calls[1].StartedMilliseconds - calls[0].StartedMilliseconds} ms");
    }

    [Fact]
    public async Task ListFilesAsync_RateLimitResetHeader_WaitsAtLeastThatLong()
    {
        await _host.AddFaultAsync(new { kind = "rate_limit", count = 1, reset_seconds = 1, path_prefix = "/v1/files" });

        await Client.ListFilesAsync();

        var calls = await CallsToAsync("/v1/files");
        Assert.Equal([429, 200], calls.Select(c => c.Status));
        Assert.True(calls[1].StartedMilliseconds - calls[0].StartedMilliseconds >= 900, $"retried after {calls[1].StartedMilliseconds - calls[0].StartedMilliseconds} ms");
    }

    [Fact]
    public async Task ListFilesAsync_RetryAfterBeyondTheCeiling_SurfacesTheWaitInsteadOfSleeping()
    {
        await _host.AddFaultAsync(new { kind = "rate_limit", count = 1, retry_after_seconds = 600, path_prefix = "/v1/files" });

        var error = await Assert.ThrowsAsync<MistralApiException>(() => Client.ListFilesAsync());

        Assert.Equal(429, error.Status);
        Assert.Equal(TimeSpan.FromSeconds(600), error.RetryAfter);
        Assert.Equal("rate_limited", error.ErrorType);
        Assert.Equal("1300", error.ErrorCode);
        Assert.True(error.IsTransient);
        Assert.Single(await CallsToAsync("/v1/files"));
    }

    [Fact]
    public async Task ListFilesAsync_ServerAlwaysFails_GivesUpAfterTheConfiguredAttempts()
    {
        await _host.AddFaultAsync(new { kind = "server_error", rate = 1.0, path_prefix = "/v1/files" });

        var error = await Assert.ThrowsAsync<MistralApiException>(() => Client.ListFilesAsync());

        Assert.Equal(500, error.Status);
        Assert.Equal("Mistral list files failed with 500: Internal server error", error.Message);
        Assert.Equal(4, (await CallsToAsync("/v1/files")).Count);
    }

    [Fact]
    public async Task GetFileAsync_NotFound_IsNotRetried()
    {
        var error = await Assert.ThrowsAsync<MistralApiException>(() => Client.GetFileAsync(Guid.NewGuid().ToString()));

        Assert.Equal(404, error.Status);
        Assert.NotNull(error.RequestId);
        Assert.Single(await CallsToAsync("/v1/files/"));
    }

    [Fact]
    public async Task CreateBatchJobAsync_ServerError_IsNotRetriedSoNoJobIsPaidTwice()
    {
        var input = await UploadAsync();
        await _host.AddFaultAsync(new { kind = "server_error", count = 1, path_prefix = "/v1/batch/jobs", method = "POST" });

        var error = await Assert.ThrowsAsync<MistralApiException>(() => CreateJobAsync(input.Id));

        Assert.Equal(500, error.Status);
        Assert.True(error.IsTransient);
        Assert.Single(await CallsToAsync("/v1/batch/jobs"));
    }

    [Fact]
    public async Task CreateBatchJobAsync_RateLimited_IsRetriedBecauseNothingWasDone()
    {
        var input = await UploadAsync();
        await _host.AddFaultAsync(new { kind = "rate_limit", count = 1, path_prefix = "/v1/batch/jobs", method = "POST" });

        var job = await CreateJobAsync(input.Id);

        Assert.Equal(BatchJobStatus.Queued, job.Status);
        Assert.Equal([429, 200], (await CallsToAsync("/v1/batch/jobs")).Select(c => c.Status));
    }

    [Fact]
    public async Task UploadFileAsync_NonSeekableStreamAndServerError_IsNotResent()
    {
        await _host.AddFaultAsync(new { kind = "server_error", count = 1, path_prefix = "/v1/files", method = "POST" });
        using var inner = Jsonl.Chat(2);
        await using var content = new ForwardOnlyStream(inner);

        var error = await Assert.ThrowsAsync<MistralApiException>(() => Client.UploadFileAsync(content, "once.jsonl"));

        Assert.Equal(500, error.Status);
        Assert.Single(await CallsToAsync("/v1/files"));
    }

    [Fact]
    public async Task UploadFileAsync_SeekableStreamAndServerError_IsRewoundAndResentWhole()
    {
        await _host.AddFaultAsync(new { kind = "server_error", count = 1, path_prefix = "/v1/files", method = "POST" });
        using var content = Jsonl.Chat(3);

        var file = await Client.UploadFileAsync(content, "twice.jsonl");

        Assert.Equal(3, file.NumLines);
        Assert.Equal(content.Length, file.Bytes);
    }

    [Fact]
    public async Task Failures_AllLogsAndExceptions_NeverContainTheApiKey()
    {
        await _host.AddFaultAsync(new { kind = "server_error", count = 2, path_prefix = "/v1/files" });
        await Client.ListFilesAsync();
        var notFound = await Assert.ThrowsAsync<MistralApiException>(() => Client.GetBatchJobAsync(Guid.NewGuid().ToString()));
        var invalid = await Assert.ThrowsAsync<MistralApiException>(() => Client.GetBatchJobAsync("not-a-uuid"));

        var logs = _host.Logs.GetSnapshot();
        Assert.NotEmpty(logs);
        Assert.Contains(logs, r => r.Message.Contains("Retrying Mistral call", StringComparison.Ordinal));
        Assert.All(logs, r => Assert.DoesNotContain(MistralTestHost.ApiKey, r.Message + string.Join(",", r.StructuredState?.Select(s => s.Value) ?? []), StringComparison.Ordinal));
        Assert.DoesNotContain(MistralTestHost.ApiKey, notFound.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(MistralTestHost.ApiKey, invalid.ToString(), StringComparison.Ordinal);
        Assert.Equal(422, invalid.Status);
        Assert.Equal("uuid_parsing", invalid.ErrorType);
        Assert.Contains("path.job_id: Input should be a valid UUID", invalid.Message, StringComparison.Ordinal);
    }

    private async Task<List<EmulatorCall>> CallsToAsync(string pathPrefix) =>
        (await _host.GetCallsAsync()).Where(c => c.Path.StartsWith(pathPrefix, StringComparison.Ordinal)).OrderBy(c => c.Sequence).ToList();

    private async Task<MistralFile> UploadAsync()
    {
        using var content = Jsonl.Chat(1);
        var file = await Client.UploadFileAsync(content, "input.jsonl");
        await _host.ClearCallsAsync();
        return file;
    }

    private Task<BatchJob> CreateJobAsync(string fileId) => Client.CreateBatchJobAsync(new CreateBatchJobRequest
    {
        Endpoint = ApiEndpoint.ChatCompletions,
        InputFiles = [fileId],
        Model = "mistral-small-latest",
    });
}
