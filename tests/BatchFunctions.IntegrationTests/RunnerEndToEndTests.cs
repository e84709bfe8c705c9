using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.IntegrationTests;

/// <summary>
/// <c>batchfn serve</c> as a real process on Azurite and the emulator: every way a batch starts, cancel,
/// duplicates, invalid input, a flaky Mistral, and runners killed mid-batch or sharing one storage account.
/// </summary>
[Collection(AzuriteTests.Name)]
public sealed class RunnerEndToEndTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task BlobDrop_JsonlInTheInputContainer_EndsWithResultsAndACompletionMessage()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync();

        var source = await host.DropAsync("drop.jsonl", RunnerTestHost.Lines(10));
        await host.DropAsync("notes.txt", "not a batch");
        await host.Storage.Input.GetAppendBlobClient("growing.jsonl").CreateAsync();
        var completion = Assert.Single(await host.ReceiveCompletionsAsync(1));

        Assert.Equal(BatchInstanceId.From(source), completion.Id);
        Assert.Equal(BatchOutcome.Succeeded, completion.Status);
        Assert.Equal((10, 10, 0), (completion.Requests, completion.Succeeded, completion.Failed));
        var results = (await host.ReadAsync(BatchFileKind.Results, source)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"r{i}"), results.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString()));
        var listed = await runner.Client.ListAsync();
        Assert.Equal([completion.Id], listed.Batches.Select(b => b.Id));

        // Ids and counts in the logs; never the storage key, never a prompt or a completion.
        Assert.Contains(completion.Id, host.RunnerOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Eby8vdM02x", host.RunnerOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("question 1", host.RunnerOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpSubmit_JsonlUpload_FollowsAndServesTheFilesThroughTheApi()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync(null, "--no-watch");

        StartBatchResponse started;
        using (var content = new MemoryStream(Encoding.UTF8.GetBytes(RunnerTestHost.Lines(8))))
        {
            started = await runner.Client.SubmitAsync(content, new StartBatchRequest(Name: "api/upload.jsonl", Metadata: new Dictionary<string, string> { ["team"] = "search" }));
        }

        var done = await host.WaitForCompletionAsync(runner.Client, started.Id);
        using var results = new MemoryStream();
        var found = await runner.Client.DownloadAsync(started.Id, BatchFileKind.Results, results);
        using var missing = new MemoryStream();

        Assert.True(started.Started);
        Assert.Equal(new Uri(runner.Address, $"api/batches/{started.Id}").ToString(), started.StatusUrl);
        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal((8, 8), (done.Requests, done.Succeeded));
        Assert.True(found);
        Assert.Equal(8, Encoding.UTF8.GetString(results.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.False(await runner.Client.DownloadAsync(started.Id, BatchFileKind.Rejection, missing));
        var job = Assert.Single(await host.JobsOfAsync(started.Id));
        Assert.Equal("search", job.Metadata!["team"]);
        Assert.Null(await runner.Client.GetAsync("bf-" + new string('0', 32)));
    }

    [Fact]
    public async Task HttpStart_BadRequests_AnswerProblemDetails()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync(new Dictionary<string, string?> { ["Runner:MaxInlineBytes"] = "2048" }, "--no-watch", "--no-queue");

        using var invalidJson = await runner.Http.PostAsync(new Uri("api/batches", UriKind.Relative), RunnerTestHost.Json("{ not json"));
        using var both = await runner.Http.PostAsync(new Uri("api/batches", UriKind.Relative), RunnerTestHost.Json("""{"blob":{"name":"a.jsonl"},"requests":[{"custom_id":"1","body":{}}]}"""));
        using var tooLarge = await runner.Http.PostAsync(new Uri("api/batches", UriKind.Relative), RunnerTestHost.Json("{\"requests\":[{\"custom_id\":\"1\",\"body\":{\"x\":\"" + new string('x', 4096) + "\"}}]}"));
        using var unknown = await runner.Http.GetAsync(new Uri("api/batches/bf-nope", UriKind.Relative));
        using var badPage = await runner.Http.GetAsync(new Uri("api/batches?page_size=1000", UriKind.Relative));
        var cancelUnknown = await Assert.ThrowsAsync<BatchApiException>(() => runner.Client.CancelAsync("bf-" + new string('1', 32)));

        Assert.Equal(HttpStatusCode.BadRequest, invalidJson.StatusCode);
        Assert.Equal("application/problem+json", invalidJson.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Invalid JSON", JsonDocument.Parse(await invalidJson.Content.ReadAsStringAsync()).RootElement.GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Contains("not both", await both.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Contains("Runner:MaxInlineBytes", await tooLarge.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badPage.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, cancelUnknown.Status);
    }

    [Fact]
    public async Task ApiKey_SetOnTheRunner_IsRequiredOnEveryCallButHealth()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync(new Dictionary<string, string?> { ["Runner:ApiKey"] = "s3cret-key" }, "--no-watch", "--no-queue");

        using var anonymous = await runner.Http.GetAsync(new Uri("api/batches", UriKind.Relative));
        using var wrong = await runner.Http.GetAsync(new Uri("api/batches?code=guess", UriKind.Relative));
        using var byQuery = await runner.Http.GetAsync(new Uri("api/batches?code=s3cret-key", UriKind.Relative));
        using var health = await runner.Http.GetAsync(new Uri("api/health", UriKind.Relative));
        var byHeader = await runner.Client.ListAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Empty(byHeader.Batches);
    }

    [Fact]
    public async Task Serve_BeyondLoopbackWithoutAKey_RefusesToStart()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);

        var (exitCode, output) = await RunnerProcess.RunToExitAsync(host.Settings, "serve", "--urls", "http://0.0.0.0:0");

        Assert.Equal(2, exitCode);
        Assert.Contains("Runner:ApiKey", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueueStart_Base64BlobReference_StartsTheBatch()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        await host.StartRunnerAsync(null, "--no-watch");
        var source = await host.DropAsync("queued.jsonl", RunnerTestHost.Lines(4));
        var requests = host.Storage.Queues.GetQueueClient(host.Settings["Runner:RequestsQueue"]);
        await requests.CreateIfNotExistsAsync();

        // As the Functions host and many producers write it: base64 of the JSON.
        await requests.SendMessageAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"blob":{"name":"queued.jsonl"}}""")));
        var completion = Assert.Single(await host.ReceiveCompletionsAsync(1));

        Assert.Equal(BatchInstanceId.From(source), completion.Id);
        Assert.Equal(BatchOutcome.Succeeded, completion.Status);
    }

    [Fact]
    public async Task QueueStart_UnusableMessages_MoveToThePoisonQueueWithTheReason()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite, settings: new Dictionary<string, string?>
        {
            ["Runner:MaxDequeueCount"] = "2",
            ["Runner:QueueVisibilityTimeout"] = "00:00:01",
        });
        await host.StartRunnerAsync(null, "--no-watch");
        var requests = host.Storage.Queues.GetQueueClient(host.Settings["Runner:RequestsQueue"]);
        var poison = host.Storage.Queues.GetQueueClient(host.Settings["Runner:RequestsQueue"] + "-poison");
        await requests.CreateIfNotExistsAsync();
        await poison.CreateIfNotExistsAsync();

        await requests.SendMessageAsync("this is not json");
        await requests.SendMessageAsync("""{"blob":{"name":"never-uploaded.jsonl"}}""");
        var poisoned = new List<JsonElement>();
        await host.EventuallyAsync(async () =>
        {
            foreach (var message in (await poison.ReceiveMessagesAsync(maxMessages: 10)).Value)
            {
                poisoned.Add(JsonDocument.Parse(message.Body.ToString()).RootElement.Clone());
                await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }

            return poisoned.Count == 2;
        }, "two poisoned messages");

        var notJson = Assert.Single(poisoned, p => p.GetProperty("message").GetString() == "this is not json");
        var missing = Assert.Single(poisoned, p => p.GetProperty("message").GetString()!.Contains("never-uploaded", StringComparison.Ordinal));
        Assert.Equal(1, notJson.GetProperty("attempts").GetInt32());
        Assert.Contains("not a JSON start request", notJson.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, missing.GetProperty("attempts").GetInt32());
        Assert.Contains("No blob 'never-uploaded.jsonl'", missing.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await requests.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task EventGrid_ValidationHandshakes_AreAnsweredForBothSchemas()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync(null, "--no-watch", "--no-queue");

        using var validation = await runner.Http.PostAsync(new Uri("api/events", UriKind.Relative), RunnerTestHost.Json("""
            [{"id":"1","topic":"/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/devstoreaccount1","subject":"","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},"eventTime":"2026-11-23T00:00:00Z","dataVersion":"2"}]
            """));
        using var options = new HttpRequestMessage(HttpMethod.Options, new Uri("api/events", UriKind.Relative));
        options.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");
        using var cloudEvents = await runner.Http.SendAsync(options);

        Assert.Equal(HttpStatusCode.OK, validation.StatusCode);
        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", JsonDocument.Parse(await validation.Content.ReadAsStringAsync()).RootElement.GetProperty("validationResponse").GetString());
        Assert.Equal(HttpStatusCode.OK, cloudEvents.StatusCode);
        Assert.Equal("eventgrid.azure.net", Assert.Single(cloudEvents.Headers.GetValues("WebHook-Allowed-Origin")));
    }

    [Fact]
    public async Task EventGrid_OneEventWithAnUnreadableSubject_IsIgnoredAloneAndTheOthersStart()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync(null, "--no-watch", "--no-queue");
        var source = await host.DropAsync("good.jsonl", RunnerTestHost.Lines(2));
        var topic = "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/" + host.Storage.AccountName;
        string Event(string id, string subject) =>
            $$"""{"id":"{{id}}","topic":"{{topic}}","subject":"{{subject}}","eventType":"Microsoft.Storage.BlobCreated","data":{"api":"PutBlob"},"eventTime":"2026-11-23T00:00:00Z","dataVersion":""}""";
        var good = Event("good", $"/blobServices/default/containers/{source.Container}/blobs/good.jsonl");
        var surrogate = Event("lone-surrogate", $"/blobServices/default/containers/{source.Container}/blobs/\\ud800.jsonl");
        // A third event whose subject has bytes that are not UTF-8 (0xC3 0x28).
        var delivery = Encoding.UTF8.GetBytes($$"""[{{surrogate}},{{good}},{"id":"bad-utf8","topic":"{{topic}}","eventType":"Microsoft.Storage.BlobCreated","subject":"/blobServices/default/containers/{{source.Container}}/blobs/""")
            .Concat(new byte[] { 0xC3, 0x28 })
            .Concat(".jsonl\"}]"u8.ToArray())
            .ToArray();

        using var content = new ByteArrayContent(delivery);
        content.Headers.ContentType = new("application/json");
        using var answer = await runner.Http.PostAsync(new Uri("api/events", UriKind.Relative), content);
        var body = await answer.Content.ReadAsStringAsync();

        Assert.True(answer.StatusCode == HttpStatusCode.OK, body);
        var parsed = JsonDocument.Parse(body).RootElement;
        Assert.Equal(2, parsed.GetProperty("ignored").GetInt32());
        Assert.Equal(BatchInstanceId.From(source), parsed.GetProperty("started").EnumerateArray().Single().GetString());
        Assert.Equal(BatchOutcome.Succeeded, (await host.WaitForCompletionAsync(runner.Client, BatchInstanceId.From(source))).Outcome);
        Assert.Contains("not valid text", host.RunnerOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DuplicateTriggers_OneBlobVersionSeenByEventsWatcherAndHttp_StartOneBatchWithOneJob()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync(null, "--no-queue");
        var source = await host.DropAsync("twice.jsonl", RunnerTestHost.Lines(6));
        var id = BatchInstanceId.From(source);
        var account = host.Storage.AccountName;
        var gridEvent = $$$"""
            [{"id":"e1","topic":"/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/{{{account}}}","subject":"/blobServices/default/containers/{{{source.Container}}}/blobs/twice.jsonl","eventType":"Microsoft.Storage.BlobCreated","data":{"api":"PutBlob","blobType":"BlockBlob","url":"http://x/twice.jsonl"},"eventTime":"2026-11-23T00:00:00Z","dataVersion":""},
             {"id":"e2","topic":"/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/{{{account}}}","subject":"/blobServices/default/containers/elsewhere/blobs/twice.jsonl","eventType":"Microsoft.Storage.BlobCreated","data":{},"eventTime":"2026-11-23T00:00:00Z","dataVersion":""},
             {"id":"e3","topic":"/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/{{{account}}}","subject":"/blobServices/default/containers/{{{source.Container}}}/blobs/twice.jsonl","eventType":"Microsoft.Storage.BlobDeleted","data":{},"eventTime":"2026-11-23T00:00:00Z","dataVersion":""}]
            """;
        var cloudEvent = $$$"""
            {"specversion":"1.0","id":"c1","type":"Microsoft.Storage.BlobCreated","source":"/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/{{{account}}}","subject":"/blobServices/default/containers/{{{source.Container}}}/blobs/twice.jsonl","data":{"api":"PutBlob"}}
            """;

        using var first = await runner.Http.PostAsync(new Uri("api/events", UriKind.Relative), RunnerTestHost.Json(gridEvent));
        using var again = await runner.Http.PostAsync(new Uri("api/events", UriKind.Relative), RunnerTestHost.Json(gridEvent));
        using var asCloudEvent = await runner.Http.PostAsync(new Uri("api/events", UriKind.Relative), new StringContent(cloudEvent, Encoding.UTF8, "application/cloudevents+json"));
        var byHttp = await runner.Client.StartAsync(new StartBatchRequest(Blob: new BlobReference(null, "twice.jsonl")));
        var done = await host.WaitForCompletionAsync(runner.Client, id);

        var firstAnswer = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        var secondAnswer = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(2, firstAnswer.GetProperty("ignored").GetInt32());
        Assert.Equal(id, firstAnswer.GetProperty("started").EnumerateArray().Concat(firstAnswer.GetProperty("existing").EnumerateArray()).Single().GetString());
        Assert.Equal(id, secondAnswer.GetProperty("existing").EnumerateArray().Single().GetString());
        Assert.Empty(secondAnswer.GetProperty("started").EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, asCloudEvent.StatusCode);
        Assert.False(byHttp.Started);
        Assert.Equal(id, byHttp.Id);
        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Single(await host.JobsOfAsync(id));
        Assert.Single((await runner.Client.ListAsync()).Batches);
    }

    [Fact]
    public async Task Cancel_WhileTheJobRuns_EndsCancelledAndASecondCancelConflicts()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite, emulator: options => options.RequestsPerSecond = 0.5);
        var runner = await host.StartRunnerAsync(null, "--no-queue");
        var source = await host.DropAsync("long.jsonl", RunnerTestHost.Lines(40));
        var id = BatchInstanceId.From(source);

        await host.WaitForStatusAsync(runner.Client, id, s => s.Phase == BatchPhase.Polling && s.Parts.All(p => p.JobId is not null), "to poll its job");
        var cancelled = await runner.Client.CancelAsync(id);
        var done = await host.WaitForCompletionAsync(runner.Client, id);
        var again = await Assert.ThrowsAsync<BatchApiException>(() => runner.Client.CancelAsync(id));

        Assert.True(cancelled.CancelRequested);
        Assert.Equal(BatchOutcome.Cancelled, done.Outcome);
        Assert.Equal("CANCELLED", Assert.Single(await host.JobsOfAsync(id)).Status.Value);
        Assert.NotNull(done.Outputs?.Summary);
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
    }

    [Fact]
    public async Task InvalidFile_Dropped_GivesARejectionReportAndKeepsTheInput()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        await host.StartRunnerAsync(null, "--no-queue");

        // A note beside the inputs comes first: by the time the rejection is logged the watcher has seen it many times.
        await host.Storage.Input.GetBlobClient("notes.txt").UploadAsync(BinaryData.FromString("not requests"));
        var source = await host.DropAsync("broken.jsonl", RunnerTestHost.Lines(3) + "{\"custom_id\": \"r4\"}\n");
        var completion = Assert.Single(await host.ReceiveCompletionsAsync(1));
        var report = JsonDocument.Parse(await host.ReadAsync(BatchFileKind.Rejection, source)).RootElement;
        var finished = $"Batch {completion.Id} for {source.Container}/broken.jsonl finished. Rejected: 1 error, first at line 4 (body): missing_body:";
        await host.EventuallyAsync(() => Task.FromResult(host.RunnerOutput.Contains(finished, StringComparison.Ordinal)), "the rejection logged in one line");

        Assert.Equal(BatchOutcome.Rejected, completion.Status);
        Assert.Contains("line 4", completion.Failure, StringComparison.Ordinal);
        Assert.Matches($"{System.Text.RegularExpressions.Regex.Escape(finished)}.*; see http\\S+/broken\\.jsonl/{completion.Id}/rejection\\.json", host.RunnerOutput);
        Assert.Equal(1, System.Text.RegularExpressions.Regex.Count(host.RunnerOutput, "notes.txt ignored: not a .jsonl"));
        Assert.Equal(4, report.GetProperty("validation").GetProperty("errors")[0].GetProperty("line").GetInt32());
        Assert.True(await host.Storage.Input.GetBlobClient("broken.jsonl").ExistsAsync());
        Assert.Empty(await host.JobsOfAsync(completion.Id));
    }

    [Fact]
    public async Task FlakyMistral_TwentyPercentOfCallsFail_EveryBatchStillFinishes()
    {
        // A failed create is retried by the workflow (a POST is not repeated by the HTTP pipeline), after 5 s and
        // then twice as long each time by default: five failures of one create in a row (0.2^5 a create, nine
        // creates a run: about 3 runs in 1,000) waited 155 s, past the test's wait. Short delays, same attempts.
        await using var host = await RunnerTestHost.StartAsync(azurite, settings: new Dictionary<string, string?>
        {
            ["Batch:MaxRequestsPerPart"] = "4",
            ["Workflow:FirstRetryDelay"] = "00:00:00.200",
            ["Workflow:MaxRetryDelay"] = "00:00:02",
        });
        await host.AddFaultAsync(new { kind = "server_error", rate = 0.2 });
        await host.StartRunnerAsync(null, "--no-queue");

        var sources = new List<BatchSource>();
        for (var i = 0; i < 3; i++)
        {
            sources.Add(await host.DropAsync($"flaky-{i}.jsonl", RunnerTestHost.Lines(10, $"f{i}-")));
        }

        var completions = await host.ReceiveCompletionsAsync(3);

        Assert.Equal(sources.Select(BatchInstanceId.From).Order(), completions.Select(c => c.Id).Order());
        Assert.All(completions, c => Assert.Equal((BatchOutcome.Succeeded, 10L), (c.Status, c.Succeeded)));
        foreach (var source in sources)
        {
            Assert.Equal(3, (await host.JobsOfAsync(BatchInstanceId.From(source))).Count);
        }
    }

    [Theory]
    [InlineData(BatchPhase.Uploading)]
    [InlineData(BatchPhase.Polling)]
    [InlineData(BatchPhase.Collecting)]
    public async Task Kill_RunnerKilledMidBatch_RestartGivesOneJobPerPartAndCompleteOutputs(BatchPhase killedIn)
    {
        await using var host = await RunnerTestHost.StartAsync(
            azurite,
            emulator: options => options.RequestsPerSecond = killedIn == BatchPhase.Polling ? 2 : 50,
            settings: new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "5", ["Runner:Id"] = "runner-a" });
        if (killedIn == BatchPhase.Uploading)
        {
            await host.AddFaultAsync(new { kind = "slow", method = "POST", path_prefix = "/v1/files", delay_milliseconds = 3000, count = 2 });
        }
        else if (killedIn == BatchPhase.Collecting)
        {
            await host.AddFaultAsync(new { kind = "slow", method = "GET", path_prefix = "/v1/files/", delay_milliseconds = 3000, count = 2 });
        }

        var first = await host.StartRunnerAsync(null, "--no-queue");
        var source = await host.DropAsync("killed.jsonl", RunnerTestHost.Lines(10));
        var id = BatchInstanceId.From(source);
        await host.WaitForStatusAsync(first.Client, id, s => s.Phase == killedIn, $"to reach {killedIn}");
        await first.KillAsync();

        // The same runner name takes its leases back at once (another name waits for them to lapse).
        var second = await host.StartRunnerAsync(null, "--no-queue");
        var done = await host.WaitForCompletionAsync(second.Client, id);

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        var jobs = await host.JobsOfAsync(id);
        Assert.Equal(2, jobs.Count);
        Assert.Equal(["0", "1"], jobs.Select(j => j.Metadata![Core.Settings.BatchSettingsResolver.PartKey]).Order());
        var results = (await host.ReadAsync(BatchFileKind.Results, source)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"r{i}"), results.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString()));
    }

    [Fact]
    public async Task Kill_AnotherRunnerTakesOver_AfterTheDeadRunnersLeaseLapses()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite, emulator: options => options.RequestsPerSecond = 1);
        await host.AddFaultAsync(new { kind = "slow", method = "GET", path_prefix = "/v1/batch/jobs/", delay_milliseconds = 4000, count = 1 });
        var first = await host.StartRunnerAsync(new Dictionary<string, string?> { ["Runner:Id"] = "dies" }, "--no-queue");
        var source = await host.DropAsync("takeover.jsonl", RunnerTestHost.Lines(6));
        var id = BatchInstanceId.From(source);

        // Killed in the middle of a (slow) poll: its lease is held, and only its lapse frees the batch.
        await host.WaitForStatusAsync(first.Client, id, s => s.Phase == BatchPhase.Polling, "to poll");
        await first.KillAsync();
        var second = await host.StartRunnerAsync(new Dictionary<string, string?> { ["Runner:Id"] = "survives" }, "--no-queue");
        var done = await host.WaitForCompletionAsync(second.Client, id);

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Single(await host.JobsOfAsync(id));
    }

    [Fact]
    public async Task Sigterm_MidPoll_StopsCleanlyAndLetsGoOfTheLeaseForTheNextRunner()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite, emulator: options => options.RequestsPerSecond = 1);
        await host.AddFaultAsync(new { kind = "slow", method = "GET", path_prefix = "/v1/batch/jobs/", delay_milliseconds = 3000, count = 2 });
        var first = await host.StartRunnerAsync(new Dictionary<string, string?> { ["Runner:LeaseDuration"] = "00:01:00" }, "--no-queue");
        var source = await host.DropAsync("stopped.jsonl", RunnerTestHost.Lines(6));
        var id = BatchInstanceId.From(source);
        await host.WaitForStatusAsync(first.Client, id, s => s.Phase == BatchPhase.Polling, "to poll");

        var exitCode = await first.TerminateAsync();
        var lease = (await host.Storage.Blobs.GetBlobContainerClient(host.Settings["Runner:StateContainer"]).GetBlobClient("leases/" + id).GetPropertiesAsync()).Value;
        var second = await host.StartRunnerAsync(null, "--no-queue");
        var done = await host.WaitForCompletionAsync(second.Client, id);

        Assert.Equal(0, exitCode);
        Assert.Equal(Azure.Storage.Blobs.Models.LeaseState.Available, lease.LeaseState);
        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Single(await host.JobsOfAsync(id));
    }

    [Fact]
    public async Task TwoRunners_OneStorageAccount_StepEachBatchOnce()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite, settings: new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "5" });
        await host.StartRunnerAsync(null, "--no-queue");
        await host.StartRunnerAsync(null, "--no-queue");

        var sources = new List<BatchSource>();
        for (var i = 0; i < 4; i++)
        {
            sources.Add(await host.DropAsync($"shared-{i}.jsonl", RunnerTestHost.Lines(10, $"s{i}-")));
        }

        var completions = await host.ReceiveCompletionsAsync(4);
        var calls = await host.CallsAsync();

        Assert.All(completions, c => Assert.Equal(BatchOutcome.Succeeded, c.Status));
        Assert.Equal(sources.Select(BatchInstanceId.From).Order(), completions.Select(c => c.Id).Distinct().Order());
        foreach (var source in sources)
        {
            Assert.Equal(2, (await host.JobsOfAsync(BatchInstanceId.From(source))).Count);
        }

        // Stepped twice at once, a batch would upload a part or create a job twice.
        Assert.Equal(8, calls.Count(c => c is ("POST", "/v1/files")));
        Assert.Equal(8, calls.Count(c => c is ("POST", "/v1/batch/jobs")));
    }

    [Fact]
    public async Task Retention_FinishedBatchExpires_AndItsInputVersionDoesNotRunAgain()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite, settings: new Dictionary<string, string?>
        {
            ["Runner:Retention"] = "00:00:01",
            ["Storage:ArchiveMode"] = "Keep",
        });
        var runner = await host.StartRunnerAsync(null, "--no-watch", "--no-queue");
        await host.DropAsync("kept.jsonl", RunnerTestHost.Lines(2));
        var started = await runner.Client.StartAsync(new StartBatchRequest(Blob: new BlobReference(null, "kept.jsonl")));

        await host.WaitForCompletionAsync(runner.Client, started.Id);
        await host.EventuallyAsync(async () => await runner.Client.GetAsync(started.Id) is null, "the record to expire");
        var again = await Assert.ThrowsAsync<BatchApiException>(() => runner.Client.StartAsync(new StartBatchRequest(Blob: new BlobReference(null, "kept.jsonl"))));

        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Single(await host.JobsOfAsync(started.Id));
    }

    [Fact]
    public async Task CompletionWebhookAndEvent_FailingOnceThenAccepting_GetASignedMessageAndOneCloudEventAndNoSecretIsLogged()
    {
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        await using var listener = await NotificationListener.StartAsync(failFirst: 1);
        await using var host = await RunnerTestHost.StartAsync(azurite, settings: new Dictionary<string, string?>
        {
            ["Notifications:WebhookUrl"] = listener.Url("/hook?sig=webhook-secret-123").ToString(),
            ["Notifications:WebhookSecret"] = secret,
            ["Notifications:EventGridTopicEndpoint"] = listener.Url("/api/events").ToString(),
            ["Notifications:EventGridTopicKey"] = "topic-key-456",
        });
        await host.StartRunnerAsync(null, "--no-queue");

        var source = await host.DropAsync("notify.jsonl", RunnerTestHost.Lines(3));
        await host.EventuallyAsync(() => Task.FromResult(listener.To("/hook").Count > 0 && listener.To("/api/events").Count > 0), "the webhook and the topic to receive the completion");

        // The webhook is delivered first, refused once (503) and retried: three POSTs in all.
        Assert.Equal(3, listener.Attempts);
        var delivery = Assert.Single(listener.To("/hook"));
        var message = JsonDocument.Parse(delivery.Body).RootElement;
        Assert.Equal(BatchInstanceId.From(source), message.GetProperty("id").GetString());
        Assert.Equal("Succeeded", message.GetProperty("status").GetString());
        Assert.Equal(3, message.GetProperty("succeeded").GetInt32());
        Assert.Equal(BatchInstanceId.From(source), delivery.Headers["webhook-id"]);
        Assert.True(NotificationListener.VerifyStandardWebhook(secret, delivery.Headers, delivery.Body), "the receiver's check of the signature");

        var published = Assert.Single(listener.To("/api/events"));
        Assert.Equal("topic-key-456", published.Headers["aeg-sas-key"]);
        var cloudEvent = Assert.Single(JsonDocument.Parse(published.Body).RootElement.EnumerateArray());
        Assert.Equal(("BatchFunctions.BatchCompleted", BatchInstanceId.From(source)), (cloudEvent.GetProperty("type").GetString(), cloudEvent.GetProperty("id").GetString()));
        Assert.Equal(("Succeeded", 3), (cloudEvent.GetProperty("data").GetProperty("status").GetString(), cloudEvent.GetProperty("data").GetProperty("succeeded").GetInt32()));

        foreach (var secretText in new[] { "webhook-secret-123", secret, "topic-key-456" })
        {
            Assert.DoesNotContain(secretText, host.RunnerOutput, StringComparison.Ordinal);
        }
    }
}
