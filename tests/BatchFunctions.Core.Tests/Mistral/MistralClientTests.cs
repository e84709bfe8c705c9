using System.Text;
using System.Text.Json;
using BatchFunctions.Core.Mistral;

namespace BatchFunctions.Core.Tests.Mistral;

/// <summary>The client against the emulator over real HTTP: every operation of the contract.</summary>
public sealed class MistralClientTests : IAsyncLifetime
{
    private MistralTestHost _host = null!;

    private MistralClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await MistralTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task UploadFileAsync_BatchInput_ReturnsDescriptionWithLinesAndBytes()
    {
        using var content = Jsonl.Chat(3);

        var file = await Client.UploadFileAsync(content, "requests.jsonl");

        Assert.True(Guid.TryParse(file.Id, out _));
        Assert.Equal("requests.jsonl", file.Filename);
        Assert.Equal(FilePurpose.Batch, file.Purpose);
        Assert.Equal(SampleType.BatchRequest, file.SampleType);
        Assert.Equal(FileSource.Upload, file.Source);
        Assert.Equal(content.Length, file.Bytes);
        Assert.Equal(3, file.NumLines);
        Assert.Equal(_host.Clock.GetUtcNow(), file.CreatedAt);
        Assert.Null(file.Deleted);
    }

    [Fact]
    public async Task UploadFileAsync_NonSeekableStream_UploadsAndLeavesStreamOpen()
    {
        using var inner = Jsonl.Chat(2);
        await using var content = new ForwardOnlyStream(inner);

        var file = await Client.UploadFileAsync(content, "forward.jsonl", new UploadFileOptions { Visibility = FileVisibility.User, Expiry = 48 });

        Assert.Equal(2, file.NumLines);
        Assert.Equal(FileVisibility.User, file.Visibility);
        Assert.Equal(_host.Clock.GetUtcNow().AddHours(48), file.ExpiresAt);
        Assert.True(content.CanRead);
    }

    [Fact]
    public async Task GetFileAsync_UploadedFile_ReportsItNotDeleted()
    {
        using var content = Jsonl.Chat(1);
        var uploaded = await Client.UploadFileAsync(content, "one.jsonl");

        var file = await Client.GetFileAsync(uploaded.Id);

        Assert.Equal(uploaded.Id, file.Id);
        Assert.False(file.Deleted);
    }

    [Fact]
    public async Task ListFilesAsync_Filters_ReturnOnlyMatchingFilesAndTotal()
    {
        using var a = Jsonl.Chat(1);
        using var b = Jsonl.Chat(1);
        var batch = await Client.UploadFileAsync(a, "alpha-input.jsonl");
        var tuning = await Client.UploadFileAsync(b, "beta-train.jsonl", new UploadFileOptions { Purpose = FilePurpose.FineTune });

        var batchOnly = await Client.ListFilesAsync(new FileListQuery { Purpose = FilePurpose.Batch, SampleTypes = [SampleType.BatchRequest] });
        var searched = await Client.ListFilesAsync(new FileListQuery { Search = "beta" });
        var withoutTotal = await Client.ListFilesAsync(new FileListQuery { IncludeTotal = false, Sources = [FileSource.Upload] });

        Assert.Contains(batchOnly.Data, f => f.Id == batch.Id);
        Assert.DoesNotContain(batchOnly.Data, f => f.Id == tuning.Id);
        Assert.Equal(batchOnly.Data.Count, batchOnly.Total);
        Assert.Equal([tuning.Id], searched.Data.Select(f => f.Id));
        Assert.Null(withoutTotal.Total);
        Assert.Equal("list", withoutTotal.ObjectType);
    }

    [Fact]
    public async Task GetAllFilesAsync_SeveralPages_YieldsEveryFileOnce()
    {
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            using var content = Jsonl.Chat(1);
            ids.Add((await Client.UploadFileAsync(content, $"paged-{i}.jsonl")).Id);
        }

        var listed = new List<string>();
        await foreach (var file in Client.GetAllFilesAsync(new FileListQuery { PageSize = 3, Search = "paged-" }))
        {
            listed.Add(file.Id);
        }

        Assert.Equal(ids.Order(), listed.Order());
    }

    [Fact]
    public async Task DeleteFileAsync_ExistingFile_DeletesItAndLaterGetIs404()
    {
        using var content = Jsonl.Chat(1);
        var file = await Client.UploadFileAsync(content, "gone.jsonl");

        var deletion = await Client.DeleteFileAsync(file.Id);
        var error = await Assert.ThrowsAsync<MistralApiException>(() => Client.GetFileAsync(file.Id));

        Assert.True(deletion.Deleted);
        Assert.Equal(file.Id, deletion.Id);
        Assert.Equal("file", deletion.ObjectType);
        Assert.Equal(404, error.Status);
        Assert.Contains(file.Id, error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task DownloadFileAsync_UploadedFile_StreamsTheSameBytes()
    {
        using var content = Jsonl.Chat(5);
        var file = await Client.UploadFileAsync(content, "roundtrip.jsonl");

        await using var download = await Client.DownloadFileAsync(file.Id);
        using var copy = new MemoryStream();
        await download.CopyToAsync(copy);

        Assert.Equal(content.ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task GetFileSignedUrlAsync_UploadedFile_UrlDownloadsWithoutTheKey()
    {
        using var content = Jsonl.Chat(2);
        var file = await Client.UploadFileAsync(content, "signed.jsonl");

        var url = await Client.GetFileSignedUrlAsync(file.Id, expiryHours: 2);
        using var anonymous = new HttpClient();
        var bytes = await anonymous.GetByteArrayAsync(url);

        Assert.Equal(content.ToArray(), bytes);
    }

    [Fact]
    public async Task CreateBatchJobAsync_FromFile_IsQueuedWithZeroCountersAndEchoesMetadata()
    {
        var input = await UploadAsync(Jsonl.Chat(3));

        var job = await Client.CreateBatchJobAsync(new CreateBatchJobRequest
        {
            Endpoint = ApiEndpoint.ChatCompletions,
            InputFiles = [input.Id],
            Model = "mistral-small-latest",
            Metadata = new Dictionary<string, string> { ["instance"] = "abc", ["part"] = "0" },
            TimeoutHours = 2,
        });

        Assert.Equal(BatchJobStatus.Queued, job.Status);
        Assert.Equal([input.Id], job.InputFiles);
        Assert.Equal("abc", job.Metadata!["instance"]);
        Assert.Equal(ApiEndpoint.ChatCompletions, job.Endpoint);
        Assert.Equal(0, job.TotalRequests);
        Assert.Equal(0, job.CompletedRequests);
        Assert.Empty(job.Errors);
        Assert.Null(job.OutputFile);
        Assert.Null(job.StartedAt);
    }

    [Fact]
    public async Task GetBatchJobAsync_AsTimePasses_MovesThroughLifecycleWithCounters()
    {
        var input = await UploadAsync(Jsonl.Chat(4, firstInvalidEvery: 4));
        var created = await CreateChatJobAsync(input.Id);

        _host.Clock.Advance(TimeSpan.FromSeconds(5));
        var running = await Client.GetBatchJobAsync(created.Id);
        _host.Clock.Advance(TimeSpan.FromSeconds(2));
        var partway = await Client.GetBatchJobAsync(created.Id);
        _host.Clock.Advance(TimeSpan.FromSeconds(10));
        var done = await Client.GetBatchJobAsync(created.Id);

        Assert.Equal(BatchJobStatus.Running, running.Status);
        Assert.Equal(4, running.TotalRequests);
        Assert.NotNull(running.StartedAt);
        Assert.Equal(2, partway.CompletedRequests);
        Assert.Equal(BatchJobStatus.Success, done.Status);
        Assert.True(done.Status.IsTerminal);
        Assert.Equal((4, 3, 1), (done.CompletedRequests, done.SucceededRequests, done.FailedRequests));
        Assert.NotNull(done.CompletedAt);

        var results = await ReadLinesAsync(done.OutputFile!);
        var errors = await ReadLinesAsync(done.ErrorFile!);
        Assert.Equal(["r1", "r2", "r3"], results.Select(r => r.GetProperty("custom_id").GetString()));
        Assert.All(results, r => Assert.Equal(200, r.GetProperty("response").GetProperty("status_code").GetInt32()));
        Assert.Equal("chat.completion", results[0].GetProperty("response").GetProperty("body").GetProperty("object").GetString());
        var failed = Assert.Single(errors);
        Assert.Equal("r4", failed.GetProperty("custom_id").GetString());
        Assert.Equal(400, failed.GetProperty("response").GetProperty("status_code").GetInt32());
    }

    [Fact]
    public async Task GetBatchJobAsync_AllRequestsSucceed_HasNoErrorFile()
    {
        var input = await UploadAsync(Jsonl.Chat(2));
        var job = await CreateChatJobAsync(input.Id);

        _host.Clock.Advance(TimeSpan.FromMinutes(1));
        var done = await Client.GetBatchJobAsync(job.Id);

        Assert.Equal(BatchJobStatus.Success, done.Status);
        Assert.NotNull(done.OutputFile);
        Assert.Null(done.ErrorFile);
        var output = await Client.GetFileAsync(done.OutputFile!);
        Assert.Equal(SampleType.BatchResult, output.SampleType);
        Assert.Equal(FileSource.Mistral, output.Source);
    }

    [Fact]
    public async Task CreateBatchJobAsync_InlineRequests_ReturnsOutputsInline()
    {
        using var body = JsonDocument.Parse("""{"input":["hello world","second"]}""");
        var job = await Client.CreateBatchJobAsync(new CreateBatchJobRequest
        {
            Endpoint = ApiEndpoint.Embeddings,
            Model = "mistral-embed",
            Requests = [new BatchRequest { CustomId = "e1", Body = body.RootElement.Clone() }],
        });

        _host.Clock.Advance(TimeSpan.FromMinutes(1));
        var done = await Client.GetBatchJobAsync(job.Id, inline: true);

        Assert.Empty(done.InputFiles);
        Assert.Equal(BatchJobStatus.Success, done.Status);
        var output = Assert.Single(done.Outputs!);
        Assert.Equal("e1", output.GetProperty("custom_id").GetString());
        var data = output.GetProperty("response").GetProperty("body").GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
    }

    [Fact]
    public async Task ListBatchJobsAsync_MetadataAndStatusFilters_SelectMatchingJobs()
    {
        var input = await UploadAsync(Jsonl.Chat(1));
        var tag = Guid.NewGuid().ToString("N")[..12];
        var first = await CreateChatJobAsync(input.Id, new Dictionary<string, string> { ["run"] = tag, ["part"] = "0" });
        _host.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = await CreateChatJobAsync(input.Id, new Dictionary<string, string> { ["run"] = tag, ["part"] = "1" });
        await Client.CancelBatchJobAsync(second.Id);

        var oldestFirst = await Client.ListBatchJobsAsync(new BatchJobListQuery { Metadata = new Dictionary<string, string> { ["run"] = tag }, OldestFirst = true });
        var newestFirst = await Client.ListBatchJobsAsync(new BatchJobListQuery { Metadata = new Dictionary<string, string> { ["run"] = tag } });
        var byPart = await Client.ListBatchJobsAsync(new BatchJobListQuery { Metadata = new Dictionary<string, string> { ["run"] = tag, ["part"] = "1" } });
        var queuedOrCancelling = await Client.ListBatchJobsAsync(new BatchJobListQuery
        {
            Metadata = new Dictionary<string, string> { ["run"] = tag },
            Statuses = [BatchJobStatus.Queued, BatchJobStatus.CancellationRequested],
        });
        var onlyQueued = await Client.ListBatchJobsAsync(new BatchJobListQuery { Metadata = new Dictionary<string, string> { ["run"] = tag }, Statuses = [BatchJobStatus.Queued] });
        var otherModel = await Client.ListBatchJobsAsync(new BatchJobListQuery { Metadata = new Dictionary<string, string> { ["run"] = tag }, Model = "mistral-large-latest" });
        var future = await Client.ListBatchJobsAsync(new BatchJobListQuery { CreatedAfter = _host.Clock.GetUtcNow().AddHours(1) });

        Assert.Equal([first.Id, second.Id], oldestFirst.Data.Select(j => j.Id));
        Assert.Equal([second.Id, first.Id], newestFirst.Data.Select(j => j.Id));
        Assert.Equal(2, oldestFirst.Total);
        Assert.Equal([second.Id], byPart.Data.Select(j => j.Id));
        Assert.Equal(2, queuedOrCancelling.Data.Count);
        Assert.Equal([first.Id], onlyQueued.Data.Select(j => j.Id));
        Assert.Empty(otherModel.Data);
        Assert.Empty(future.Data);
    }

    [Fact]
    public async Task GetAllBatchJobsAsync_SeveralPages_YieldsEveryJobOnce()
    {
        var input = await UploadAsync(Jsonl.Chat(1));
        var tag = Guid.NewGuid().ToString("N")[..12];
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await CreateChatJobAsync(input.Id, new Dictionary<string, string> { ["run"] = tag })).Id);
        }

        var listed = new List<string>();
        await foreach (var job in Client.GetAllBatchJobsAsync(new BatchJobListQuery { PageSize = 2, Metadata = new Dictionary<string, string> { ["run"] = tag } }))
        {
            listed.Add(job.Id);
        }

        Assert.Equal(ids.Order(), listed.Order());
        Assert.Equal(5, listed.Distinct().Count());
    }

    [Fact]
    public async Task CancelBatchJobAsync_RunningJob_RequestsThenReachesCancelledWithPartialOutput()
    {
        var input = await UploadAsync(Jsonl.Chat(10));
        var job = await CreateChatJobAsync(input.Id);
        _host.Clock.Advance(TimeSpan.FromSeconds(8));

        var requested = await Client.CancelBatchJobAsync(job.Id);
        var again = await Client.CancelBatchJobAsync(job.Id);
        _host.Clock.Advance(TimeSpan.FromSeconds(3));
        var cancelled = await Client.GetBatchJobAsync(job.Id);

        Assert.Equal(BatchJobStatus.CancellationRequested, requested.Status);
        Assert.False(requested.Status.IsTerminal);
        Assert.Equal(BatchJobStatus.CancellationRequested, again.Status);
        Assert.Equal(BatchJobStatus.Cancelled, cancelled.Status);
        Assert.Equal(3, cancelled.CompletedRequests);
        Assert.Equal(3, (await ReadLinesAsync(cancelled.OutputFile!)).Count);
    }

    [Fact]
    public async Task DeleteBatchJobAsync_FinishedJob_DeletesItButRunningJobIsRefused()
    {
        var input = await UploadAsync(Jsonl.Chat(1));
        var running = await CreateChatJobAsync(input.Id);

        var refused = await Assert.ThrowsAsync<MistralApiException>(() => Client.DeleteBatchJobAsync(running.Id));
        _host.Clock.Advance(TimeSpan.FromMinutes(1));
        var deleted = await Client.DeleteBatchJobAsync(running.Id);
        var missing = await Assert.ThrowsAsync<MistralApiException>(() => Client.GetBatchJobAsync(running.Id));

        Assert.Equal(400, refused.Status);
        Assert.Equal("invalid_request_error", refused.ErrorType);
        Assert.True(deleted.Deleted);
        Assert.Equal("batch", deleted.ObjectType);
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task GetBatchJobAsync_ForcedFailure_EndsFailedWithErrorsAndKeepsPartialOutput()
    {
        await _host.AddOutcomeAsync(new { status = "FAILED", after_requests = 2, message = "Emulated outage" });
        var input = await UploadAsync(Jsonl.Chat(5));
        var job = await CreateChatJobAsync(input.Id);

        _host.Clock.Advance(TimeSpan.FromMinutes(1));
        var failed = await Client.GetBatchJobAsync(job.Id);

        Assert.Equal(BatchJobStatus.Failed, failed.Status);
        var error = Assert.Single(failed.Errors);
        Assert.Equal("Emulated outage", error.Message);
        Assert.Equal(1, error.Count);
        Assert.Equal(2, failed.CompletedRequests);
        Assert.Equal(2, (await ReadLinesAsync(failed.OutputFile!)).Count);
    }

    [Fact]
    public async Task GetBatchJobAsync_TimeoutHoursElapse_EndsTimeoutExceeded()
    {
        var lines = new MemoryStream();
        for (var i = 0; i < 5; i++)
        {
            lines.Write(Encoding.UTF8.GetBytes(Jsonl.ChatLine($"t{i}", "slow") + "\n"));
        }

        lines.Position = 0;
        var input = await UploadAsync(lines);
        await SetSpeedAsync(requestsPerSecond: 1.0 / 1800);
        BatchJob expired;
        try
        {
            var job = await Client.CreateBatchJobAsync(new CreateBatchJobRequest
            {
                Endpoint = ApiEndpoint.ChatCompletions,
                InputFiles = [input.Id],
                Model = "mistral-small-latest",
                TimeoutHours = 1,
            });

            _host.Clock.Advance(TimeSpan.FromHours(2));
            expired = await Client.GetBatchJobAsync(job.Id);
        }
        finally
        {
            await SetSpeedAsync(requestsPerSecond: 1);
        }

        Assert.Equal(BatchJobStatus.TimeoutExceeded, expired.Status);
        Assert.Equal(1, expired.CompletedRequests);
        Assert.Equal(5, expired.TotalRequests);
    }

    private async Task<MistralFile> UploadAsync(MemoryStream content)
    {
        using (content)
        {
            return await Client.UploadFileAsync(content, "input.jsonl");
        }
    }

    private Task<BatchJob> CreateChatJobAsync(string fileId, IReadOnlyDictionary<string, string>? metadata = null) =>
        Client.CreateBatchJobAsync(new CreateBatchJobRequest
        {
            Endpoint = ApiEndpoint.ChatCompletions,
            InputFiles = [fileId],
            Model = "mistral-small-latest",
            Metadata = metadata,
        });

    private async Task<List<JsonElement>> ReadLinesAsync(string fileId)
    {
        await using var stream = await Client.DownloadFileAsync(fileId);
        using var reader = new StreamReader(stream);
        var lines = new List<JsonElement>();
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(JsonDocument.Parse(line).RootElement.Clone());
        }

        return lines;
    }

    private async Task SetSpeedAsync(double requestsPerSecond) =>
        (await _host.Admin.PutAsJsonAsync("_emulator/settings", new { requests_per_second = requestsPerSecond })).EnsureSuccessStatusCode();
}
