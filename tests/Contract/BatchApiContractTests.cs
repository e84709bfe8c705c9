using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Storage;

namespace BatchFunctions.Tests.Contract;

/// <summary>An HTTP answer, as either host gave it.</summary>
public sealed record ApiAnswer(int Status, string? ContentType, string Body, string? Location)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
}

/// <summary>A host of the HTTP API under contract test: the runner as a process, or the Function App's functions.</summary>
public interface IContractHost : IAsyncDisposable
{
    BatchStorage Storage { get; }

    /// <summary>The emulator's admin API (faults, forced job outcomes).</summary>
    HttpClient EmulatorAdmin { get; }

    Task<ApiAnswer> SendAsync(string method, string path, string? contentType = null, byte[]? body = null, IReadOnlyDictionary<string, string>? headers = null);

    /// <summary>Sends a request as it is on the wire: headers that repeat, bodies that break.</summary>
    Task<ApiAnswer> SendRawAsync(RawRequest request);

    /// <summary>A second instance of this host on the same storage account and Mistral (another runner process; for the Function App, another invocation of its functions).</summary>
    Task<IContractHost> StartPeerAsync();
}

/// <summary>
/// One HTTP contract, two hosts: every assertion here runs against the runner and against the Function App,
/// so a difference between them fails a test. Each host's test project derives a class that starts its host.
/// </summary>
public abstract class BatchApiContractTests
{
    private const string Jsonl = "application/x-ndjson";

    protected abstract Task<IContractHost> StartHostAsync();

    [Fact]
    public async Task StartInline_ThenGetListAndFiles_AnswerTheSameShapes()
    {
        await using var host = await StartHostAsync();

        var started = await host.SendAsync("POST", "api/batches", "application/json", Encoding.UTF8.GetBytes($$$"""{"requests": [{{{Lines(3, ",")}}}], "name": "contract/inline.jsonl", "metadata": {"team": "data"}, "priority": "high"}"""));
        Assert.Equal(202, started.Status);
        var id = started.Json.GetProperty("id").GetString()!;
        Assert.True(started.Json.GetProperty("started").GetBoolean());
        Assert.EndsWith($"/api/batches/{id}", started.Location, StringComparison.Ordinal);
        Assert.EndsWith($"/api/batches/{id}/cancel", started.Json.GetProperty("cancel_url").GetString(), StringComparison.Ordinal);

        var done = await WaitForEndAsync(host, id);
        Assert.Equal("Succeeded", done.GetProperty("outcome").GetString());
        Assert.Equal("contract/inline.jsonl", done.GetProperty("input_name").GetString());
        Assert.Equal("high", done.GetProperty("priority").GetString());

        var results = await host.SendAsync("GET", $"api/batches/{id}/files/results");
        Assert.Equal((200, Jsonl), (results.Status, results.ContentType));
        Assert.Equal(3, results.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var summary = await host.SendAsync("GET", $"api/batches/{id}/files/summary");
        Assert.Equal("Succeeded", summary.Json.GetProperty("status").GetString());
        var rejection = await host.SendAsync("GET", $"api/batches/{id}/files/rejection");
        Assert.Equal((404, "application/problem+json"), (rejection.Status, rejection.ContentType));

        var listed = await host.SendAsync("GET", "api/batches?status=succeeded");
        Assert.Equal(200, listed.Status);
        Assert.Contains(listed.Json.GetProperty("batches").EnumerateArray(), b => b.GetProperty("id").GetString() == id);
        var none = await host.SendAsync("GET", "api/batches?status=Cancelled");
        Assert.Empty(none.Json.GetProperty("batches").EnumerateArray());
    }

    [Fact]
    public async Task StartJsonlAndBlob_AgainAndWithKeys_StartOneBatchEach()
    {
        await using var host = await StartHostAsync();
        var body = Encoding.UTF8.GetBytes(Lines(2, "\n") + "\n");
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = Guid.NewGuid().ToString() };

        var first = await host.SendAsync("POST", "api/batches?model=mistral-small-latest&metadata=team%3Ddata", Jsonl, body, key);
        var retried = await host.SendAsync("POST", "api/batches?model=mistral-small-latest&metadata=team%3Ddata", Jsonl, body, key);
        var otherBody = await host.SendAsync("POST", "api/batches?model=mistral-small-latest&metadata=team%3Ddata", Jsonl, Encoding.UTF8.GetBytes(Lines(3, "\n") + "\n"), key);
        var unkeyed = await host.SendAsync("POST", "api/batches", Jsonl, body);
        var badKey = await host.SendAsync("POST", "api/batches", Jsonl, body, new Dictionary<string, string> { ["Idempotency-Key"] = new string('k', 256) });

        Assert.Equal(202, first.Status);
        Assert.Equal((200, first.Json.GetProperty("id").GetString()), (retried.Status, retried.Json.GetProperty("id").GetString()));
        Assert.False(retried.Json.GetProperty("started").GetBoolean());
        Assert.Equal((422, "application/problem+json"), (otherBody.Status, otherBody.ContentType));
        Assert.Contains("Idempotency-Key", otherBody.Body, StringComparison.Ordinal);
        Assert.NotEqual(first.Json.GetProperty("id").GetString(), unkeyed.Json.GetProperty("id").GetString());
        Assert.Equal((400, "application/problem+json"), (badKey.Status, badKey.ContentType));
        Assert.Contains("1 to 255 printable ASCII characters", badKey.Body, StringComparison.Ordinal);
        Assert.Equal(2, await CountAsync(host.Storage.Input));

        await host.Storage.Input.GetBlobClient("dropped.jsonl").UploadAsync(BinaryData.FromBytes(body));
        var byBlob = await host.SendAsync("POST", "api/batches", "application/json", """{"blob": {"name": "dropped.jsonl"}}"""u8.ToArray());
        var byBlobAgain = await host.SendAsync("POST", "api/batches", "application/json", """{"blob": {"name": "dropped.jsonl"}}"""u8.ToArray());
        Assert.Equal((202, 200), (byBlob.Status, byBlobAgain.Status));
        Assert.Equal(byBlob.Json.GetProperty("id").GetString(), byBlobAgain.Json.GetProperty("id").GetString());

        foreach (var id in new[] { first, unkeyed, byBlob }.Select(a => a.Json.GetProperty("id").GetString()!))
        {
            Assert.Equal("Succeeded", (await WaitForEndAsync(host, id)).GetProperty("outcome").GetString());
        }

        var page = await host.SendAsync("GET", "api/batches?page=0&page_size=2");
        var last = await host.SendAsync("GET", "api/batches?page=1&page_size=2");
        Assert.Equal((2, 1), (page.Json.GetProperty("batches").GetArrayLength(), page.Json.GetProperty("next_page").GetInt32()));
        Assert.Equal(1, last.Json.GetProperty("batches").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, last.Json.GetProperty("next_page").ValueKind);
    }

    [Fact]
    public async Task StartKeyed_TwinsAtOnceOnTwoInstances_StartOneBatchThatEveryAnswerNames()
    {
        await using var host = await StartHostAsync();
        await using var peer = await host.StartPeerAsync();
        var jsonl = Encoding.UTF8.GetBytes(Lines(3, "\n") + "\n");
        var inline = Encoding.UTF8.GetBytes($$"""{"requests": [{{Lines(2, ",")}}], "name": "keyed/twins.jsonl"}""");

        // Two inline twins with a name, then forty JSONL twins, each set with a key of its own, half on each instance.
        var ids = new List<string>();
        foreach (var (count, contentType, body) in new[] { (2, "application/json", inline), (40, Jsonl, jsonl) })
        {
            var key = new Dictionary<string, string> { ["Idempotency-Key"] = Guid.NewGuid().ToString() };
            var answers = await Task.WhenAll(Enumerable.Range(0, count).Select(i => (i % 2 == 0 ? host : peer).SendAsync("POST", "api/batches", contentType, body, key)));

            Assert.All(answers, a => Assert.True(a.Status is 200 or 202, $"{a.Status} {a.Body}"));
            Assert.Single(answers, a => a.Status == 202 && a.Json.GetProperty("started").GetBoolean());
            var named = answers.Select(a => a.Json.GetProperty("id").GetString()!).Distinct().ToList();
            Assert.Single(named);
            ids.Add(named[0]);
        }

        foreach (var id in ids)
        {
            Assert.Equal("Succeeded", (await WaitForEndAsync(host, id)).GetProperty("outcome").GetString());
        }

        // One input (archived once its batch succeeded) and one paid job per key, whatever the number of requests.
        Assert.Equal(2, await CountAsync(host.Storage.Input) + await CountAsync(host.Storage.Archive));
        Assert.Equal(2, (await EmulatorCalls.OfAsync(host.EmulatorAdmin, "POST", "/v1/batch/jobs")).Count);
        Assert.Equal(2, (await host.SendAsync("GET", "api/batches")).Json.GetProperty("batches").GetArrayLength());
    }

    [Fact]
    public async Task StartWithAName_WhileItsBatchRuns_Refused409NamingItAndItsInputIsKept()
    {
        await using var host = await StartHostAsync();
        using (var slow = new StringContent("""{"queue_delay_seconds": 600}""", Encoding.UTF8, "application/json"))
        {
            (await host.EmulatorAdmin.PutAsync(new Uri("_emulator/settings", UriKind.Relative), slow)).EnsureSuccessStatusCode();
        }

        var first = await host.SendAsync("POST", "api/batches?name=named%2Fin-use.jsonl", Jsonl, Encoding.UTF8.GetBytes(Lines(2, "\n") + "\n"));
        Assert.Equal(202, first.Status);
        var id = first.Json.GetProperty("id").GetString()!;

        var upload = await host.SendAsync("POST", "api/batches?name=named%2Fin-use.jsonl", Jsonl, Encoding.UTF8.GetBytes(Lines(3, "\n") + "\n"));
        var inline = await host.SendAsync("POST", "api/batches", "application/json", Encoding.UTF8.GetBytes($$"""{"requests": [{{Lines(3, ",")}}], "name": "named/in-use.jsonl"}"""));
        foreach (var refused in new[] { upload, inline })
        {
            Assert.Equal((409, "application/problem+json"), (refused.Status, refused.ContentType));
            Assert.Contains(id, refused.Body, StringComparison.Ordinal);
        }

        // Uploads of one new name at once: one is stored, every other is refused, none fails.
        var racing = await Task.WhenAll(Enumerable.Range(1, 6).Select(i => host.SendAsync("POST", "api/batches?name=named%2Frace.jsonl", Jsonl, Encoding.UTF8.GetBytes(Lines(i, "\n") + "\n"))));
        Assert.Single(racing, a => a.Status == 202);
        Assert.All(racing.Where(a => a.Status != 202), a => Assert.Equal((409, "application/problem+json"), (a.Status, a.ContentType)));

        var kept = (await host.Storage.Input.GetBlobClient("named/in-use.jsonl").DownloadContentAsync()).Value.Content.ToString();
        Assert.Equal(Lines(2, "\n") + "\n", kept);
        Assert.Equal(2, await CountAsync(host.Storage.Input));

        // Once its batch is over, the name takes a new input, as a file dropped again does.
        Assert.Equal(202, (await host.SendAsync("POST", $"api/batches/{id}/cancel")).Status);
        Assert.Equal("Cancelled", (await WaitForEndAsync(host, id)).GetProperty("outcome").GetString());
        var again = await host.SendAsync("POST", "api/batches?name=named%2Fin-use.jsonl&dry_run=false", Jsonl, Encoding.UTF8.GetBytes(Lines(3, "\n") + "\n"));
        Assert.Equal(202, again.Status);
        Assert.NotEqual(id, again.Json.GetProperty("id").GetString());
    }

    [Fact]
    public async Task BrokenBodiesAndARepeatedKey_Answer4xxProblemsAndStoreNothing()
    {
        await using var host = await StartHostAsync();
        var body = Encoding.UTF8.GetBytes(Lines(2, "\n") + "\n");
        (string Name, string Value) jsonl = ("Content-Type", Jsonl);
        (string Name, string Value) json = ("Content-Type", "application/json");
        var inline = Encoding.UTF8.GetBytes($$"""{"requests": [{{Lines(2, ",")}}]}""");

        var cases = new (string Name, RawRequest Request, int[] Status, string Mentions)[]
        {
            ("JSONL with a bad chunk size", new RawRequest("POST", "api/batches", [jsonl], body, BodyFault.BadChunkSize), [400], "body"),
            ("JSON with a bad chunk size", new RawRequest("POST", "api/batches", [json], inline, BodyFault.BadChunkSize), [400], "body"),
            ("JSONL shorter than its Content-Length", new RawRequest("POST", "api/batches", [jsonl], body, BodyFault.ShortOfContentLength), [400, 408], "body"),
            ("JSON shorter than its Content-Length", new RawRequest("POST", "api/batches", [json], inline, BodyFault.ShortOfContentLength), [400, 408], "body"),
            ("Idempotency-Key given twice", new RawRequest("POST", "api/batches", [jsonl, ("Idempotency-Key", "a"), ("Idempotency-Key", "b")], body), [400], "Idempotency-Key"),
        };

        var failures = new List<string>();
        foreach (var (name, request, status, mentions) in cases)
        {
            ApiAnswer answer;
            try
            {
                answer = await host.SendRawAsync(request);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                failures.Add($"{name}: {exception.Message}");
                continue;
            }

            if (!status.Contains(answer.Status) || answer.ContentType != "application/problem+json" || !answer.Body.Contains(mentions, StringComparison.Ordinal)
                || answer.Body.Contains("Exception", StringComparison.Ordinal))
            {
                failures.Add($"{name}: {answer.Status} {answer.ContentType} {answer.Body}");
            }
        }

        Assert.Empty(failures);
        Assert.Equal(0, await CountAsync(host.Storage.Input));
        Assert.Empty((await host.SendAsync("GET", "api/batches")).Json.GetProperty("batches").EnumerateArray());
    }

    [Fact]
    public async Task Cancel_UnknownAndFinished_AnswerProblems()
    {
        await using var host = await StartHostAsync();
        var started = await host.SendAsync("POST", "api/batches", "application/json", Encoding.UTF8.GetBytes($$"""{"requests": [{{Lines(1, ",")}}]}"""));
        var id = started.Json.GetProperty("id").GetString()!;
        await WaitForEndAsync(host, id);

        var unknown = await host.SendAsync("POST", "api/batches/bf-00000000000000000000000000000000/cancel");
        var finished = await host.SendAsync("POST", $"api/batches/{id}/cancel");

        Assert.Equal((404, "application/problem+json"), (unknown.Status, unknown.ContentType));
        Assert.Equal((409, "application/problem+json"), (finished.Status, finished.ContentType));
        Assert.Equal(409, finished.Json.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task MalformedRequests_AnswerProblemDocumentsNamingTheFieldAndWriteNothing()
    {
        await using var host = await StartHostAsync();
        var other = host.Storage.Blobs.GetBlobContainerClient(host.Storage.Options.InputContainer + "-other");
        await other.CreateIfNotExistsAsync();
        await other.GetBlobClient("private/data.jsonl").UploadAsync(BinaryData.FromString(Lines(2, "\n")));
        await other.GetBlobClient("x.jsonl").UploadAsync(BinaryData.FromString(Lines(2, "\n")));
        await host.Storage.Archive.CreateIfNotExistsAsync();
        await host.Storage.Archive.GetBlobClient("x.jsonl").UploadAsync(BinaryData.FromString(Lines(2, "\n")));

        var failures = new List<string>();
        foreach (var request in MalformedRequests.Starts(host.Storage.Options.ArchiveContainer, other.Name).Concat(MalformedRequests.Reads()))
        {
            var answer = await host.SendAsync(request.Method, request.Path, request.ContentType, request.Body);
            if (answer.Status != request.Status || answer.ContentType != "application/problem+json"
                || answer.Body.Contains("Exception", StringComparison.Ordinal) || answer.Body.Contains("   at ", StringComparison.Ordinal)
                || (request.Mentions is { } field && !answer.Body.Contains(field, StringComparison.Ordinal)))
            {
                failures.Add($"{request.Name}: {answer.Status} {answer.Body}");
            }
        }

        Assert.Empty(failures);
        Assert.Equal(0, await CountAsync(host.Storage.Input));
        Assert.Empty((await host.SendAsync("GET", "api/batches")).Json.GetProperty("batches").EnumerateArray());
        Assert.Equal(2, await CountAsync(other));
        Assert.Equal(1, await CountAsync(host.Storage.Archive));
    }

    [Fact]
    public async Task DryRun_JsonlInlineAndBlob_AnswersTheEstimateAndStoresAndStartsNothing()
    {
        await using var host = await StartHostAsync();
        // Two requests of 8 bytes of text each ("question 1"): 4 + 4 tokens of text at 4 bytes a token... see the estimate.
        var jsonl = Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Range(1, 2).Select(i =>
            "{\"custom_id\":\"d" + i + "\",\"body\":{\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"0123456789abcdef\"}]}}")) + "\n");
        await host.Storage.Input.GetBlobClient("priced.jsonl").UploadAsync(BinaryData.FromBytes(jsonl));

        var upload = await host.SendAsync("POST", "api/batches?dry_run=true&model=mistral-large-latest", Jsonl, jsonl);
        var inline = await host.SendAsync("POST", "api/batches?dry_run=true", "application/json", Encoding.UTF8.GetBytes($$"""{"requests": [{{Lines(3, ",")}}], "model": "mistral-small-latest"}"""));
        var blob = await host.SendAsync("POST", "api/batches?dry_run=1", "application/json", """{"blob": {"name": "priced.jsonl"}}"""u8.ToArray());
        var invalid = await host.SendAsync("POST", "api/batches?dry_run=true", Jsonl, "{\"custom_id\":\"x\"}\n"u8.ToArray());
        var badFlag = await host.SendAsync("POST", "api/batches?dry_run=maybe", Jsonl, jsonl);

        Assert.Equal((200, 200, 200), (upload.Status, inline.Status, blob.Status));
        Assert.True(upload.Json.GetProperty("dry_run").GetBoolean());
        Assert.Equal(2, upload.Json.GetProperty("requests").GetInt64());
        var estimate = upload.Json.GetProperty("estimate");
        Assert.Equal("mistral-large-latest", estimate.GetProperty("model").GetString());
        // 16 bytes of text each, at 4 bytes a token, plus 4 tokens a message: 8 a request.
        Assert.Equal((32L, 16L, 200L), (estimate.GetProperty("prompt_text_bytes").GetInt64(), estimate.GetProperty("input_tokens").GetInt64(), estimate.GetProperty("output_tokens_bound").GetInt64()));
        // mistral-large-latest at 2 in and 6 out per million live, half of it in a batch: at most (21 x 2 + 200 x 6) / 1e6 / 2.
        Assert.Equal(0.000621m, estimate.GetProperty("batch_cost").GetProperty("high").GetDecimal());
        Assert.Equal(0.001242m, estimate.GetProperty("live_cost").GetProperty("high").GetDecimal());
        Assert.Equal(3, inline.Json.GetProperty("requests").GetInt64());
        Assert.Equal((3L, "mistral-small-latest"), (inline.Json.GetProperty("estimate").GetProperty("requests_without_max_tokens").GetInt64(), inline.Json.GetProperty("estimate").GetProperty("model").GetString()));
        Assert.Equal(estimate.GetProperty("input_tokens").GetInt64(), blob.Json.GetProperty("estimate").GetProperty("input_tokens").GetInt64());
        Assert.Equal((400, "application/problem+json"), (invalid.Status, invalid.ContentType));
        Assert.Contains("Nothing was stored or started", invalid.Body, StringComparison.Ordinal);
        Assert.Equal((400, "application/problem+json"), (badFlag.Status, badFlag.ContentType));
        Assert.Contains("dry_run", badFlag.Body, StringComparison.Ordinal);

        // Only the blob this test put there; no batch.
        Assert.Equal(1, await CountAsync(host.Storage.Input));
        Assert.Empty((await host.SendAsync("GET", "api/batches")).Json.GetProperty("batches").EnumerateArray());
    }

    [Fact]
    public async Task Finished_StatusAndSummary_CarryTheCostOfTheReportedUsage()
    {
        await using var host = await StartHostAsync();
        var started = await host.SendAsync("POST", "api/batches", "application/json", Encoding.UTF8.GetBytes($$"""{"requests": [{{Lines(2, ",")}}], "model": "mistral-small-latest"}"""));

        var done = await WaitForEndAsync(host, started.Json.GetProperty("id").GetString()!);
        var summary = (await host.SendAsync("GET", $"api/batches/{done.GetProperty("id").GetString()}/files/summary")).Json;

        var cost = done.GetProperty("cost");
        var usage = summary.GetProperty("usage").GetProperty("models").GetProperty("mistral-small-latest");
        // mistral-small-latest: 0.1 in and 0.3 out per million live; a batch pays half.
        var live = ((usage.GetProperty("prompt_tokens").GetInt64() * 0.1m) + (usage.GetProperty("completion_tokens").GetInt64() * 0.3m)) / 1_000_000m;
        Assert.True(live > 0);
        Assert.Equal(live / 2, cost.GetProperty("amount").GetDecimal());
        Assert.Equal(live, cost.GetProperty("live_amount").GetDecimal());
        Assert.Equal("USD", cost.GetProperty("currency").GetString());
        Assert.Equal(cost.GetProperty("amount").GetDecimal(), summary.GetProperty("cost").GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task Retry_FailedBatch_StartsOneBatchOfTheLinesThatCanSucceedLinkedBothWays()
    {
        await using var host = await StartHostAsync();
        // The first job fails after 3 requests; line 2 is refused by the model (a 400 that no retry changes).
        using (var outcome = new StringContent("""{"status":"FAILED","after_requests":3,"message":"Emulated capacity error"}""", Encoding.UTF8, "application/json"))
        {
            (await host.EmulatorAdmin.PostAsync(new Uri("_emulator/outcomes", UriKind.Relative), outcome)).EnsureSuccessStatusCode();
        }

        var lines = Enumerable.Range(1, 6).Select(i => i == 2
            ? "{\"custom_id\":\"c2\",\"body\":{\"max_tokens\":-1,\"messages\":[{\"role\":\"user\",\"content\":\"question 2\"}]}}"
            : "{\"custom_id\":\"c" + i + "\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"question " + i + "\"}]}}");
        var started = await host.SendAsync("POST", "api/batches", "application/json", Encoding.UTF8.GetBytes($$"""{"requests": [{{string.Join(",", lines)}}], "name": "retry/parent.jsonl"}"""));
        var parentId = started.Json.GetProperty("id").GetString()!;
        Assert.Equal("Failed", (await WaitForEndAsync(host, parentId)).GetProperty("outcome").GetString());

        var key = new Dictionary<string, string> { ["Idempotency-Key"] = Guid.NewGuid().ToString() };
        // Twins at once: one retry between them.
        var twins = await Task.WhenAll(host.SendAsync("POST", $"api/batches/{parentId}/retry", headers: key), host.SendAsync("POST", $"api/batches/{parentId}/retry", headers: key));
        var (retry, again) = twins[0].Status == 202 ? (twins[0], twins[1]) : (twins[1], twins[0]);
        var badKey = await host.SendAsync("POST", $"api/batches/{parentId}/retry", headers: new Dictionary<string, string> { ["Idempotency-Key"] = new string('k', 256) });

        Assert.Equal(202, retry.Status);
        var plan = retry.Json.GetProperty("retry");
        Assert.Equal((3L, 3L, 1L), (plan.GetProperty("retried").GetInt64(), plan.GetProperty("not_processed").GetInt64(), plan.GetProperty("left_out_permanent").GetInt64()));
        Assert.Contains("cannot change on a retry", plan.GetProperty("message").GetString(), StringComparison.Ordinal);
        var childId = retry.Json.GetProperty("id").GetString()!;
        Assert.Equal((200, childId), (again.Status, again.Json.GetProperty("id").GetString()));
        Assert.Equal((400, "application/problem+json"), (badKey.Status, badKey.ContentType));

        var child = await WaitForEndAsync(host, childId);
        Assert.Equal(("Succeeded", parentId), (child.GetProperty("outcome").GetString(), child.GetProperty("parent_id").GetString()));
        var results = (await host.SendAsync("GET", $"api/batches/{childId}/files/results")).Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["c4", "c5", "c6"], results.Select(r => JsonDocument.Parse(r).RootElement.GetProperty("custom_id").GetString()));
        var parent = (await host.SendAsync("GET", $"api/batches/{parentId}")).Json;
        Assert.Equal([childId], parent.GetProperty("retries").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(parentId, (await host.SendAsync("GET", $"api/batches/{childId}/files/summary")).Json.GetProperty("parent_id").GetString());

        // The whole original input, each line once from its latest attempt, in the original order.
        var combined = (await host.SendAsync("GET", $"api/batches/{childId}/files/combined-results")).Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var combinedErrors = (await host.SendAsync("GET", $"api/batches/{childId}/files/combined-errors")).Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var both = (await host.SendAsync("GET", $"api/batches/{childId}/files/combined-summary")).Json;
        Assert.Equal(["c1", "c3", "c4", "c5", "c6"], combined.Select(r => JsonDocument.Parse(r).RootElement.GetProperty("custom_id").GetString()));
        Assert.Equal(["c2"], combinedErrors.Select(r => JsonDocument.Parse(r).RootElement.GetProperty("custom_id").GetString()));
        Assert.Equal((6L, 5L, 1L, parentId), (both.GetProperty("requests").GetInt64(), both.GetProperty("succeeded").GetInt64(), both.GetProperty("not_succeeded").GetInt64(), both.GetProperty("root_id").GetString()));
        Assert.Equal([(parentId, "Failed", 2L), (childId, "Succeeded", 3L)], both.GetProperty("attempts").EnumerateArray().Select(a => (a.GetProperty("id").GetString(), a.GetProperty("outcome").GetString(), a.GetProperty("succeeded").GetInt64())));
        Assert.EndsWith("/combined/results.jsonl", child.GetProperty("outputs").GetProperty("combined_results").GetString(), StringComparison.Ordinal);

        var nothing = await host.SendAsync("POST", $"api/batches/{childId}/retry");
        var badScope = await host.SendAsync("POST", $"api/batches/{parentId}/retry?only=everything");
        var unknown = await host.SendAsync("POST", "api/batches/bf-00000000000000000000000000000000/retry");
        Assert.Equal((409, "application/problem+json"), (nothing.Status, nothing.ContentType));
        Assert.Contains("nothing to retry", nothing.Body, StringComparison.Ordinal);
        Assert.Equal((400, 404), (badScope.Status, unknown.Status));
        Assert.Contains("'only'", badScope.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_OfARetry_CombinesTheWholeOriginalInputFromEachLinesLatestAttempt()
    {
        await using var host = await StartHostAsync();
        // The first job stops after 2 of 6 requests, the retry's job after 1 of its 4: a third attempt finishes.
        foreach (var after in new[] { 2, 1 })
        {
            using var outcome = new StringContent($$"""{"status":"FAILED","after_requests":{{after}},"message":"Emulated capacity error"}""", Encoding.UTF8, "application/json");
            (await host.EmulatorAdmin.PostAsync(new Uri("_emulator/outcomes", UriKind.Relative), outcome)).EnsureSuccessStatusCode();
        }

        var started = await host.SendAsync("POST", "api/batches", "application/json", Encoding.UTF8.GetBytes($$"""{"requests": [{{Lines(6, ",")}}], "name": "retry/twice.jsonl"}"""));
        var rootId = started.Json.GetProperty("id").GetString()!;
        await WaitForEndAsync(host, rootId);
        var first = (await host.SendAsync("POST", $"api/batches/{rootId}/retry")).Json.GetProperty("id").GetString()!;
        Assert.Equal("Failed", (await WaitForEndAsync(host, first)).GetProperty("outcome").GetString());
        var second = await host.SendAsync("POST", $"api/batches/{first}/retry");
        Assert.Equal(3, second.Json.GetProperty("retry").GetProperty("retried").GetInt64());
        var secondId = second.Json.GetProperty("id").GetString()!;
        Assert.Equal("Succeeded", (await WaitForEndAsync(host, secondId)).GetProperty("outcome").GetString());

        var combined = (await host.SendAsync("GET", $"api/batches/{secondId}/files/combined-results")).Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var summary = (await host.SendAsync("GET", $"api/batches/{secondId}/files/combined-summary")).Json;
        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"c{i}"), combined.Select(r => JsonDocument.Parse(r).RootElement.GetProperty("custom_id").GetString()));
        Assert.Equal(404, (await host.SendAsync("GET", $"api/batches/{secondId}/files/combined-errors")).Status);
        Assert.Equal((rootId, 6L, 6L), (summary.GetProperty("root_id").GetString(), summary.GetProperty("requests").GetInt64(), summary.GetProperty("succeeded").GetInt64()));
        Assert.Equal([(rootId, 2L), (first, 1L), (secondId, 3L)], summary.GetProperty("attempts").EnumerateArray().Select(a => (a.GetProperty("id").GetString(), a.GetProperty("succeeded").GetInt64())));
    }

    /// <summary>Polls the status route until the batch is over (each poll is an API call, as a client makes it).</summary>
    protected static async Task<JsonElement> WaitForEndAsync(IContractHost host, string id)
    {
        ArgumentNullException.ThrowIfNull(host);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var answer = await host.SendAsync("GET", $"api/batches/{id}");
            if (answer.Status == 200 && answer.Json.GetProperty("phase").GetString() == "Completed")
            {
                return answer.Json;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Batch {id} did not end: {answer.Status} {answer.Body}");
            await Task.Delay(100);
        }
    }

    protected static string Lines(int count, string separator) => string.Join(separator, Enumerable.Range(1, count).Select(i =>
        "{\"custom_id\":\"c" + i + "\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"question " + i + "\"}]}}"));

    private static async Task<int> CountAsync(Azure.Storage.Blobs.BlobContainerClient container)
    {
        if (!await container.ExistsAsync())
        {
            return 0;
        }

        // Uncommitted blobs too: a refused upload's staged blocks show as one until they are deleted.
        var count = 0;
        await foreach (BlobItem _ in container.GetBlobsAsync(BlobTraits.None, BlobStates.Uncommitted, null, default))
        {
            count++;
        }

        return count;
    }
}
