using BatchFunctions.Core.Mistral;
using System.Text.Json;

namespace BatchFunctions.Core.Tests.Mistral;

/// <summary>What the server rejects surfaces as <see cref="MistralApiException"/>; what the caller gets wrong fails before any call.</summary>
public sealed class MistralClientErrorTests : IAsyncLifetime
{
    private MistralTestHost _host = null!;

    private MistralClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await MistralTestHost.StartAsync(emulator => emulator.MaxFileBytes = 4096);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task CreateBatchJobAsync_UnknownModel_ThrowsWithServerMessageTypeAndCode()
    {
        using var content = Jsonl.Chat(1);
        var file = await Client.UploadFileAsync(content, "input.jsonl");

        var error = await Assert.ThrowsAsync<MistralApiException>(() => Client.CreateBatchJobAsync(new CreateBatchJobRequest
        {
            Endpoint = ApiEndpoint.ChatCompletions,
            InputFiles = [file.Id],
            Model = "no-such-model",
        }));

        Assert.Equal(400, error.Status);
        Assert.Equal("invalid_model", error.ErrorType);
        Assert.Equal("1500", error.ErrorCode);
        Assert.Contains("Invalid model: no-such-model", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task CreateBatchJobAsync_FineTuneFileAsInput_ThrowsWithServerMessage()
    {
        using var content = Jsonl.Chat(1);
        var file = await Client.UploadFileAsync(content, "train.jsonl", new UploadFileOptions { Purpose = FilePurpose.FineTune });

        var error = await Assert.ThrowsAsync<MistralApiException>(() => Client.CreateBatchJobAsync(new CreateBatchJobRequest
        {
            Endpoint = ApiEndpoint.ChatCompletions,
            InputFiles = [file.Id],
            Model = "mistral-small-latest",
        }));

        Assert.Equal(400, error.Status);
        Assert.Contains("purpose 'batch'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadFileAsync_AboveTheSizeLimit_Throws413()
    {
        using var content = Jsonl.Chat(200);

        var error = await Assert.ThrowsAsync<MistralApiException>(() => Client.UploadFileAsync(content, "big.jsonl"));

        Assert.Equal(413, error.Status);
        Assert.Contains("Request Entity Too Large", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyCall_WrongApiKey_Throws401WithRequestId()
    {
        await using var host = await MistralTestHost.StartAsync(clientSettings: new Dictionary<string, string?> { ["Mistral:ApiKey"] = "wrong-key" });

        var error = await Assert.ThrowsAsync<MistralApiException>(() => host.Client.ListBatchJobsAsync());

        Assert.Equal(401, error.Status);
        Assert.Equal("Mistral list batch jobs failed with 401: Unauthorized", error.Message);
        Assert.Matches("^[0-9a-f]{32}$", error.RequestId);
        Assert.DoesNotContain("wrong-key", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadFileAsync_InvalidArguments_ThrowNamingTheArgument()
    {
        using var content = Jsonl.Chat(1);

        Assert.Equal("content", (await Assert.ThrowsAsync<ArgumentNullException>(() => Client.UploadFileAsync(null!, "a.jsonl"))).ParamName);
        Assert.Equal("fileName", (await Assert.ThrowsAsync<ArgumentException>(() => Client.UploadFileAsync(content, " "))).ParamName);
        Assert.Equal("fileName", (await Assert.ThrowsAsync<ArgumentException>(() => Client.UploadFileAsync(content, "a\"b.jsonl"))).ParamName);
        Assert.Empty(await _host.GetCallsAsync());
    }

    [Fact]
    public async Task CreateBatchJobAsync_InvalidRequests_ThrowBeforeAnyCall()
    {
        using var body = JsonDocument.Parse("""{"messages":[]}""");
        var request = new CreateBatchJobRequest { Endpoint = ApiEndpoint.ChatCompletions, InputFiles = [Guid.NewGuid().ToString()], Model = "m" };
        var cases = new[]
        {
            request with { InputFiles = null },
            request with { Requests = [new BatchRequest { Body = body.RootElement.Clone() }] },
            request with { TimeoutHours = 0 },
            request with { TimeoutHours = 169 },
            request with { AgentId = "agent" },
            request with { Metadata = new Dictionary<string, string> { [new string('k', 33)] = "v" } },
            request with { Metadata = new Dictionary<string, string> { ["k"] = string.Empty } },
            request with { Endpoint = default },
        };

        foreach (var invalid in cases)
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => Client.CreateBatchJobAsync(invalid));
            Assert.Equal("jobRequest", error.ParamName);
        }

        Assert.Empty(await _host.GetCallsAsync());
    }

    [Fact]
    public async Task OtherCalls_InvalidArguments_ThrowNamingTheArgument()
    {
        Assert.Equal("fileId", (await Assert.ThrowsAsync<ArgumentException>(() => Client.GetFileAsync(""))).ParamName);
        Assert.Equal("jobId", (await Assert.ThrowsAsync<ArgumentException>(() => Client.CancelBatchJobAsync(" "))).ParamName);
        Assert.Equal("expiryHours", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Client.GetFileSignedUrlAsync(Guid.NewGuid().ToString(), 169))).ParamName);
        Assert.Equal("query", (await Assert.ThrowsAsync<ArgumentException>(() => Client.ListFilesAsync(new FileListQuery { PageSize = 0 }))).ParamName);
        Assert.Equal("query", (await Assert.ThrowsAsync<ArgumentException>(() => Client.ListBatchJobsAsync(new BatchJobListQuery { Metadata = new Dictionary<string, string> { ["status"] = "x" } }))).ParamName);
        Assert.Empty(await _host.GetCallsAsync());
    }
}
