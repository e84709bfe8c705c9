using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;

namespace BatchFunctions.MistralEmulator.Tests;

/// <summary>
/// The emulator's wire behaviour checked with a plain <see cref="HttpClient"/>, not our Mistral client:
/// status codes and body shapes of the contract, including requests our client would never send.
/// </summary>
public sealed partial class MistralEmulatorApiTests : IAsyncLifetime
{
    private const string Key = "emulator-test-key";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));
    private MistralEmulatorServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await MistralEmulatorServer.StartAsync(
            options =>
            {
                options.ApiKey = Key;
                options.QueueDelay = TimeSpan.Zero;
                options.RequestsPerSecond = 0;
                options.MaxFileBytes = 1024;
            },
            _clock);
        _http = new HttpClient { BaseAddress = _server.BaseAddress };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Calls_SlowCallThenFastOne_RecordEachCallsOwnDuration()
    {
        (await _http.PostAsync(new Uri("_emulator/faults", UriKind.Relative), new StringContent("""{"kind":"slow","count":1,"delay_milliseconds":400}""", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        (await _http.GetAsync(new Uri("v1/files", UriKind.Relative))).Dispose();
        (await _http.GetAsync(new Uri("v1/files", UriKind.Relative))).Dispose();

        var calls = (await ReadJsonAsync(await _http.GetAsync(new Uri("_emulator/calls", UriKind.Relative)))).EnumerateArray().Where(c => c.GetProperty("path").GetString() == "/v1/files").ToList();

        Assert.Equal(2, calls.Count);
        var (slow, fast) = (calls[0].GetProperty("elapsed_milliseconds").GetDouble(), calls[1].GetProperty("elapsed_milliseconds").GetDouble());
        Assert.True(slow >= 400, $"slow call {slow} ms");
        Assert.True(fast < slow, $"the fast call after it took {fast} ms, the slow one {slow} ms");
    }

    [Fact]
    public async Task Calls_PastTheWorkspacesRateLimit_Answer429WithRetryAfterUntilTheSecondPasses()
    {
        using (var limit = new StringContent("""{"max_api_requests_per_second": 2}""", Encoding.UTF8, "application/json"))
        {
            (await _http.PutAsync(new Uri("_emulator/settings", UriKind.Relative), limit)).EnsureSuccessStatusCode();
        }

        var statuses = new List<HttpStatusCode>();
        string? retryAfter = null;
        for (var i = 0; i < 3; i++)
        {
            using var response = await _http.GetAsync(new Uri("v1/files", UriKind.Relative));
            statuses.Add(response.StatusCode);
            retryAfter ??= response.Headers.RetryAfter?.ToString();
        }

        _clock.Advance(TimeSpan.FromSeconds(1));
        using var after = await _http.GetAsync(new Uri("v1/files", UriKind.Relative));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal("1", retryAfter);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong")]
    [InlineData("Basic abc")]
    public async Task AnyV1Route_WithoutTheRightBearer_Answers401WithRequestId(string? authorization)
    {
        using var anonymous = new HttpClient { BaseAddress = _server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/batch/jobs");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await anonymous.SendAsync(request);
        var body = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Unauthorized", body.GetProperty("message").GetString());
        Assert.Equal(body.GetProperty("request_id").GetString(), response.Headers.GetValues("x-kong-request-id").Single());
    }

    [Fact]
    public async Task UnknownRoute_Answers404WithDetail()
    {
        using var response = await _http.GetAsync("v1/nothing/here");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Not Found", (await ReadJsonAsync(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task CreateJob_UnknownField_Answers422ExtraForbidden()
    {
        using var response = await _http.PostAsync("v1/batch/jobs", Json("""{"endpoint":"/v1/chat/completions","requests":[{"body":{}}],"store":false}"""));
        var issue = (await ReadJsonAsync(response)).GetProperty("detail")[0];

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("extra_forbidden", issue.GetProperty("type").GetString());
        Assert.Equal("""["body","store"]""", issue.GetProperty("loc").GetRawText());
        Assert.Equal("Extra inputs are not permitted", issue.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task CreateJob_MissingEndpointAndBadTimeout_ListsEveryProblem()
    {
        using var response = await _http.PostAsync("v1/batch/jobs", Json("""{"requests":[{"body":{}}],"timeout_hours":500}"""));
        var types = (await ReadJsonAsync(response)).GetProperty("detail").EnumerateArray().Select(i => i.GetProperty("type").GetString()).ToList();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["missing", "less_than_equal"], types);
    }

    [Fact]
    public async Task CreateJob_MoreThanTenThousandInlineRequests_Answers422TooLong()
    {
        var requests = string.Join(',', Enumerable.Repeat("""{"body":{"input":"x"}}""", 10_001));
        using var response = await _http.PostAsync("v1/batch/jobs", Json($$"""{"endpoint":"/v1/embeddings","model":"mistral-embed","requests":[{{requests}}]}"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("too_long", (await ReadJsonAsync(response)).GetProperty("detail")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task CreateJob_NeitherFilesNorRequests_Answers422ValueError()
    {
        using var response = await _http.PostAsync("v1/batch/jobs", Json("""{"endpoint":"/v1/embeddings","model":"mistral-embed"}"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("value_error", (await ReadJsonAsync(response)).GetProperty("detail")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task GetFile_NotAUuid_Answers422UuidParsing()
    {
        using var response = await _http.GetAsync("v1/files/abc");
        var issue = (await ReadJsonAsync(response)).GetProperty("detail")[0];

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("uuid_parsing", issue.GetProperty("type").GetString());
        Assert.Equal("""["path","file_id"]""", issue.GetProperty("loc").GetRawText());
    }

    [Fact]
    public async Task Upload_AboveTheLimit_Answers413AndKeepsNothing()
    {
        using var form = Form(new string('x', 2048), "big.jsonl", "batch");
        using var response = await _http.PostAsync("v1/files", form);
        using var list = await _http.GetAsync("v1/files");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, (await ReadJsonAsync(list)).GetProperty("total").GetInt32());
        Assert.Empty(Directory.GetFiles(_server.Services.GetRequiredService<EmulatorStore>().Directory));
    }

    [Fact]
    public async Task Upload_WithoutFileOrWithBadPurpose_Answers422()
    {
        using var noFile = new MultipartFormDataContent { { new StringContent("batch"), "purpose" } };
        using var badPurpose = Form("{}\n", "a.jsonl", "audio");

        using var missing = await _http.PostAsync("v1/files", noFile);
        using var wrong = await _http.PostAsync("v1/files", badPurpose);

        Assert.Equal("missing", (await ReadJsonAsync(missing)).GetProperty("detail")[0].GetProperty("type").GetString());
        Assert.Equal("enum", (await ReadJsonAsync(wrong)).GetProperty("detail")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Upload_WithoutPurpose_DefaultsToFineTune()
    {
        using var form = new MultipartFormDataContent { { new StringContent("{}\n"), "file", "a.jsonl" } };

        using var response = await _http.PostAsync("v1/files", form);

        Assert.Equal("fine-tune", (await ReadJsonAsync(response)).GetProperty("purpose").GetString());
    }

    [Fact]
    public async Task FinishedJob_OutputLines_FollowTheContractEnvelopeAndIdShape()
    {
        var job = await CreateInlineJobAsync("""[{"custom_id":"a","body":{"messages":[{"role":"user","content":"hi there"}]}},{"custom_id":"b","body":{"prompt":"wrong endpoint"}},{"custom_id":"c","body":{"messages":[{"role":"user","content":"again"}],"max_tokens":1}}]""");

        using var response = await _http.GetAsync($"v1/batch/jobs/{job}");
        var done = await ReadJsonAsync(response);
        var results = await ReadLinesAsync(done.GetProperty("output_file").GetString()!);
        var errors = await ReadLinesAsync(done.GetProperty("error_file").GetString()!);

        Assert.Equal("SUCCESS", done.GetProperty("status").GetString());
        Assert.Equal(["a", "c"], results.Select(r => r.GetProperty("custom_id").GetString()));
        Assert.All(results, r => Assert.Matches(OutputIdPattern(), r.GetProperty("id").GetString()));
        Assert.Equal(JsonValueKind.Null, results[0].GetProperty("error").ValueKind);
        var body = results[0].GetProperty("response").GetProperty("body");
        var usage = body.GetProperty("usage");
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal("length", results[1].GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var error = Assert.Single(errors);
        Assert.Equal("b", error.GetProperty("custom_id").GetString());
        Assert.Equal(400, error.GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Contains("messages", error.GetProperty("response").GetProperty("body").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListJobs_ByMetadata_AdvancesOnlyTheJobsItMatches()
    {
        const string Requests = """[{"custom_id":"a","body":{"messages":[{"role":"user","content":"hi"}]}}]""";
        var wanted = await CreateInlineJobAsync(Requests, metadata: """{"part":"1"}""");
        var other = await CreateInlineJobAsync(Requests, metadata: """{"part":"2"}""");

        var listed = await ReadJsonAsync(await _http.GetAsync(new Uri("v1/batch/jobs?part=1", UriKind.Relative)));

        // Advancing runs the fake model over a job's lines: a list by metadata must not pay that for every job held.
        var store = _server.Services.GetRequiredService<EmulatorStore>();
        Assert.Equal([wanted], listed.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        Assert.Equal(1, store.FindJob(wanted)!.Completed);
        Assert.Equal(0, store.FindJob(other)!.Completed);
    }

    [Fact]
    public async Task Embeddings_SameInputTwice_GiveTheSameVector()
    {
        var job = await CreateInlineJobAsync("""[{"custom_id":"1","body":{"input":"same text"}},{"custom_id":"2","body":{"input":"same text"}},{"custom_id":"3","body":{"input":"other text"}}]""", "/v1/embeddings", "mistral-embed");

        var outputs = (await ReadJsonAsync(await _http.GetAsync($"v1/batch/jobs/{job}?inline=true"))).GetProperty("outputs").EnumerateArray()
            .Select(o => o.GetProperty("response").GetProperty("body").GetProperty("data")[0].GetProperty("embedding").GetRawText())
            .ToList();

        Assert.Equal(outputs[0], outputs[1]);
        Assert.NotEqual(outputs[0], outputs[2]);
    }

    [Theory]
    [InlineData("/v1/chat/moderations", """{"input":[{"role":"user","content":"hi"}]}""", 1)]
    [InlineData("/v1/chat/moderations", """{"input":[[{"role":"user","content":"a"}],[{"role":"user","content":"b"}]]}""", 2)]
    [InlineData("/v1/chat/classifications", """{"input":{"messages":[{"role":"user","content":"hi"}]}}""", 1)]
    [InlineData("/v1/chat/classifications", """{"input":[{"messages":[{"role":"user","content":"a"}]},{"messages":[{"role":"user","content":"b"}]}]}""", 2)]
    public async Task ChatModerationAndClassification_InputAsTheSdkSendsIt_AnswersOneResultPerItem(string endpoint, string body, int expected)
    {
        var job = await CreateInlineJobAsync($$$"""[{"custom_id":"1","body":{{{body}}}},{"custom_id":"2","body":{"messages":[{"role":"user","content":"hi"}]}}]""", endpoint, "mistral-moderation-latest");

        var done = await ReadJsonAsync(await _http.GetAsync($"v1/batch/jobs/{job}"));
        var results = await ReadLinesAsync(done.GetProperty("output_file").GetString()!);
        var errors = await ReadLinesAsync(done.GetProperty("error_file").GetString()!);

        var answer = Assert.Single(results);
        Assert.Equal("1", answer.GetProperty("custom_id").GetString());
        Assert.Equal(expected, answer.GetProperty("response").GetProperty("body").GetProperty("results").GetArrayLength());
        Assert.Equal("2", Assert.Single(errors).GetProperty("custom_id").GetString());
    }

    [Fact]
    public async Task SignedUrl_TamperedSignatureOrExpired_IsRefused()
    {
        using var form = Form("{}\n", "s.jsonl", "batch");
        var file = (await ReadJsonAsync(await _http.PostAsync("v1/files", form))).GetProperty("id").GetString();
        var url = (await ReadJsonAsync(await _http.GetAsync($"v1/files/{file}/url?expiry=1"))).GetProperty("url").GetString()!;
        using var anonymous = new HttpClient();

        using var ok = await anonymous.GetAsync(url);
        using var tampered = await anonymous.GetAsync(url[..^4] + "0000");
        _clock.Advance(TimeSpan.FromHours(2));
        using var expired = await anonymous.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
    }

    [Fact]
    public async Task Faults_CountBased_AreConsumedInOrderThenStop()
    {
        (await _http.PostAsJsonAsync("_emulator/faults", new { kind = "unavailable", count = 1, path_prefix = "/v1/files" })).EnsureSuccessStatusCode();

        using var first = await _http.GetAsync("v1/files");
        using var second = await _http.GetAsync("v1/files");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal("text/plain", first.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Theory]
    [InlineData("""{"kind":"explode","count":1}""")]
    [InlineData("""{"kind":"server_error"}""")]
    [InlineData("""{"kind":"server_error","count":1,"rate":0.5}""")]
    [InlineData("""{"kind":"server_error","rate":2}""")]
    public async Task Faults_InvalidRule_AreRefusedWithProblemDetails(string rule)
    {
        using var response = await _http.PostAsync("_emulator/faults", Json(rule));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [GeneratedRegex("^batch-[0-9a-f]{8}-[1-9][0-9]*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex OutputIdPattern();

    private async Task<string> CreateInlineJobAsync(string requests, string endpoint = "/v1/chat/completions", string model = "mistral-small-latest", string metadata = "null")
    {
        using var response = await _http.PostAsync("v1/batch/jobs", Json($$"""{"endpoint":"{{endpoint}}","model":"{{model}}","requests":{{requests}},"metadata":{{metadata}}}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await ReadJsonAsync(response)).GetProperty("id").GetString()!;
    }

    private async Task<List<JsonElement>> ReadLinesAsync(string fileId)
    {
        var text = await _http.GetStringAsync($"v1/files/{fileId}/content");
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static MultipartFormDataContent Form(string content, string fileName, string purpose) => new()
    {
        { new StringContent(content), "file", fileName },
        { new StringContent(purpose), "purpose" },
    };
}
