using System.Text.Json;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.DurableTask;

namespace BatchFunctions.FunctionApp.Tests;

/// <summary>The Function App's orchestrator and activities under the real Durable Task replay engine, on Azurite and the emulator.</summary>
[Collection(AzuriteTests.Name)]
public sealed class BatchOrchestratorTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Run_InputOfThreeParts_SucceedsWithResultsInInputOrder()
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "4" });
        var source = await host.DropAsync("orders/requests.jsonl", FunctionAppTestHost.Chat(10));

        var (id, started) = await host.StartAsync(source);
        var done = await host.WaitForEndAsync(id);

        Assert.True(started);
        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal(3, (await host.JobsOfAsync(id)).Count);
        var results = Lines(await FunctionAppTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("orders/requests.jsonl", id)));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"q{i}"), results.Select(CustomId));
        Assert.True(await host.Storage.Archive.GetBlobClient(BlobLayout.Archived("orders/requests.jsonl", id)).ExistsAsync());
        Assert.NotNull((await host.Storage.Completed.ReceiveMessageAsync()).Value);
    }

    [Fact]
    public async Task Run_WebhookSecretAndTopicConfigured_DeliversASignedMessageAndOneCloudEventWhenItEnds()
    {
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        await using var listener = await NotificationListener.StartAsync();
        await using var host = await FunctionAppTestHost.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Notifications:WebhookUrl"] = listener.Url("/hook").ToString(),
            ["Notifications:WebhookSecret"] = secret,
            ["Notifications:EventGridTopicEndpoint"] = listener.Url("/api/events").ToString(),
            ["Notifications:EventGridTopicKey"] = "topic-key",
        });
        var source = await host.DropAsync("chained.jsonl", FunctionAppTestHost.Chat(2));

        var (id, _) = await host.StartAsync(source);
        var done = await host.WaitForEndAsync(id);

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        var delivery = Assert.Single(listener.To("/hook"));
        Assert.Equal(id, delivery.Headers["webhook-id"]);
        Assert.True(NotificationListener.VerifyStandardWebhook(secret, delivery.Headers, delivery.Body), "the receiver's check of the signature");
        var cloudEvent = Assert.Single(JsonDocument.Parse(Assert.Single(listener.To("/api/events")).Body).RootElement.EnumerateArray());
        Assert.Equal((id, "BatchFunctions.BatchCompleted", "Succeeded"), (cloudEvent.GetProperty("id").GetString(), cloudEvent.GetProperty("type").GetString(), cloudEvent.GetProperty("data").GetProperty("status").GetString()));
        Assert.Equal(done.Outputs!.Results, cloudEvent.GetProperty("data").GetProperty("results").GetString());
        Assert.Equal(done.Cost!.Amount, cloudEvent.GetProperty("data").GetProperty("cost").GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task Run_ManyStepsWithFewPerGeneration_CrossesContinueAsNewAndFinishes()
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Batch:MaxRequestsPerPart"] = "2",
            ["Workflow:StepsPerGeneration"] = "3",
            ["Workflow:MaxParallelParts"] = "1",
        });
        var source = await host.DropAsync("generations.jsonl", FunctionAppTestHost.Chat(8));

        var (id, _) = await host.StartAsync(source);
        var done = await host.WaitForEndAsync(id);

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal(4, (await host.JobsOfAsync(id)).Count);
        Assert.Equal(8, Lines(await FunctionAppTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("generations.jsonl", id))).Count);
    }

    [Fact]
    public async Task Cancel_RaisedByTheCancelFunctionWhilePolling_EndsCancelledKeepingPartialResultsWithoutSpinning()
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Workflow:MinPollDelay"] = "00:00:00.300" });
        await host.SetEmulatorAsync("_emulator/settings", """{"requests_per_second":20,"cancellation_delay_seconds":1}""", put: true);
        var source = await host.DropAsync("cancel.jsonl", FunctionAppTestHost.Chat(200));
        var (id, _) = await host.StartAsync(source);
        await host.WaitForStatusAsync(id, s => s.Phase == BatchPhase.Polling && s.Parts.Any(p => p.Completed > 0), "polling with progress");

        var timersBefore = host.Timers.Of(id);
        var answer = await HttpFunctions.CancelAsync(host, id);
        var done = await host.WaitForEndAsync(id);

        Assert.Equal(202, answer.StatusCode);
        Assert.Equal(BatchOutcome.Cancelled, done.Outcome);
        var results = Lines(await FunctionAppTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("cancel.jsonl", id)));
        Assert.InRange(results.Count, 1, 199);

        // After the cancel, every wait is a real timer again: a handful of polls, not a timer per remaining step.
        // (Mistral takes about a second to cancel, polled every 0.3 s; a spin would use up the generation's 40 steps.)
        Assert.InRange(host.Timers.Of(id) - timersBefore, 1, 10);
    }

    [Fact]
    public async Task Run_JobForcedFailed_EndsFailedWithTheJobErrorAndWhatExists()
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite);
        await host.SetEmulatorAsync("_emulator/outcomes", """{"status":"FAILED","after_requests":3,"message":"Emulated capacity error"}""");
        var source = await host.DropAsync("failing.jsonl", FunctionAppTestHost.Chat(8));

        var (id, _) = await host.StartAsync(source);
        var done = await host.WaitForEndAsync(id);

        Assert.Equal(BatchOutcome.Failed, done.Outcome);
        Assert.Contains("Emulated capacity error", done.Failure, StringComparison.Ordinal);
        Assert.True(await host.Storage.Archive.GetBlobClient(BlobLayout.Archived("failing.jsonl", id)).ExistsAsync());
    }

    [Fact]
    public async Task Run_EmulatorFailingAFifthOfCalls_StillSucceeds()
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "3" });
        await host.SetEmulatorAsync("_emulator/faults", """{"kind":"server_error","rate":0.2}""");
        var source = await host.DropAsync("flaky.jsonl", FunctionAppTestHost.Chat(9));

        var (id, _) = await host.StartAsync(source);
        var done = await host.WaitForEndAsync(id);

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal(3, (await host.JobsOfAsync(id)).Count);
        Assert.Equal(9, Lines(await FunctionAppTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("flaky.jsonl", id))).Count);
    }

    [Fact]
    public async Task Run_SecondBatchPastTheWorkspacesPendingLimit_WaitsForCapacityAndMistralRefusesNothing()
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Mistral:MaxPendingRequests"] = "5",
            ["Mistral:CapacityRecheck"] = "00:00:01",
        });
        await host.SetEmulatorAsync("_emulator/settings", """{"max_pending_requests":5,"requests_per_second":2}""", put: true);

        // The first batch's 4 requests take Mistral 2 s; the second's 4 would pass the workspace's 5 meanwhile.
        var (first, _) = await host.StartAsync(await host.DropAsync("first.jsonl", FunctionAppTestHost.Chat(4)));
        await host.WaitForStatusAsync(first, s => s.Parts.Count > 0 && s.Parts.All(p => p.JobId is not null), "its job created");
        var (second, _) = await host.StartAsync(await host.DropAsync("second.jsonl", FunctionAppTestHost.Chat(4)));
        var waiting = await host.WaitForStatusAsync(second, s => s.LastError?.StartsWith("Waiting for workspace capacity: ", StringComparison.Ordinal) == true, "waiting for capacity");

        Assert.Contains("of 5 pending in the workspace", waiting.LastError, StringComparison.Ordinal);
        Assert.Equal((BatchOutcome.Succeeded, BatchOutcome.Succeeded), ((await host.WaitForEndAsync(first)).Outcome, (await host.WaitForEndAsync(second)).Outcome));
        Assert.Equal([200, 200], await EmulatorCalls.StatusesAsync(host.Admin, "POST", "/v1/batch/jobs"));
    }

    [Fact]
    public async Task Run_MistralRefusesAJobForTheWorkspacesLimit_WaitsAndSucceedsInsteadOfFailing()
    {
        // Admission off (as with a workspace shared with another team's tool): Mistral itself refuses.
        await using var host = await FunctionAppTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Mistral:MaxPendingRequests"] = "0" });
        await host.SetEmulatorAsync("_emulator/settings", """{"max_pending_requests":5,"requests_per_second":4}""", put: true);

        var (first, _) = await host.StartAsync(await host.DropAsync("first.jsonl", FunctionAppTestHost.Chat(4)));
        await host.WaitForStatusAsync(first, s => s.Parts.Count > 0 && s.Parts.All(p => p.JobId is not null), "its job created");
        var (second, _) = await host.StartAsync(await host.DropAsync("second.jsonl", FunctionAppTestHost.Chat(4)));
        var waiting = await host.WaitForStatusAsync(second, s => s.LastError?.StartsWith("Waiting: Mistral refused the job for a limit", StringComparison.Ordinal) == true, "waiting after a refusal");

        Assert.Contains("Pending requests limit exceeded", waiting.LastError, StringComparison.Ordinal);
        Assert.Equal((BatchOutcome.Succeeded, BatchOutcome.Succeeded), ((await host.WaitForEndAsync(first)).Outcome, (await host.WaitForEndAsync(second)).Outcome));
        Assert.Contains(400, await EmulatorCalls.StatusesAsync(host.Admin, "POST", "/v1/batch/jobs"));
    }

    [Fact]
    public async Task Run_BatchStartedAgainstAnotherMistral_CallsNoMistralHereAndWaitsSayingWhy()
    {
        // A batch that the real API started, found by an app that talks to the emulator: its record says so.
        await using var host = await FunctionAppTestHost.StartAsync(azurite);
        var source = await host.DropAsync("elsewhere.jsonl", FunctionAppTestHost.Chat(3));
        var id = BatchInstanceId.From(source);
        var state = BatchState.Start(id, source, DateTimeOffset.UtcNow, new WorkflowOptions(), new BatchFunctions.Core.Mistral.MistralBinding("https://api.mistral.ai/", "0123456789abcdef"));

        await host.Client.ScheduleNewOrchestrationInstanceAsync(BatchOrchestrator.Name, state, new StartOrchestrationOptions(InstanceId: id));
        var waiting = await host.WaitForStatusAsync(id, s => s.LastError?.StartsWith("Waiting for its Mistral", StringComparison.Ordinal) == true, "waiting for its Mistral");

        Assert.Null(waiting.Outcome);
        Assert.Contains("started against https://api.mistral.ai/; this host talks to ", waiting.LastError, StringComparison.Ordinal);
        Assert.Empty(await EmulatorCalls.StatusesAsync(host.Admin, "POST", "/v1/files"));
        Assert.Empty(await EmulatorCalls.StatusesAsync(host.Admin, "POST", "/v1/batch/jobs"));
        await host.Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task Run_OneJobSlowToCreate_DoesNotHoldBackTheNextPartsJobs()
    {
        // As on the runner: four parts, two at a time, the first job creation 5 s long. The orchestration
        // folds in each activity's result as it arrives, so later parts' jobs are asked for meanwhile (a barrier would start them only once it ends).
        await using var host = await FunctionAppTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "5", ["Workflow:MaxParallelParts"] = "2" });
        await host.SetEmulatorAsync("_emulator/faults", """{"kind":"slow","method":"POST","path_prefix":"/v1/batch/jobs","delay_milliseconds":5000,"count":1}""");
        var source = await host.DropAsync("barrier.jsonl", FunctionAppTestHost.Chat(20));

        var (id, _) = await host.StartAsync(source);
        var done = await host.WaitForEndAsync(id);

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        var creates = await EmulatorCalls.OfAsync(host.Admin, "POST", "/v1/batch/jobs");
        var slow = Assert.Single(creates, c => c.Fault == "slow");
        Assert.Equal(4, creates.Count);
        Assert.Equal(3, creates.Count(c => c.Fault is null && c.Start < slow.End));
    }

    [Fact]
    public async Task Start_SameInputTwiceAndTwoRacing_GiveOneInstance()
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite);
        var source = await host.DropAsync("twice.jsonl", FunctionAppTestHost.Chat(2));

        var racing = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => host.StartAsync(source)));
        var again = await host.StartAsync(source);
        var done = await host.WaitForEndAsync(again.InstanceId);

        Assert.Single(racing.Select(r => r.InstanceId).Append(again.InstanceId).Distinct());
        Assert.Equal(1, racing.Count(r => r.Started));
        Assert.False(again.Started);
        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Single(await host.JobsOfAsync(again.InstanceId));
    }

    [Fact]
    public async Task Run_ActivityThrowingPastItsRetries_FinalizesFailedWithSummaryArchiveAndNotification()
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite, throwIn: "PollJobs");
        var source = await host.DropAsync("buggy.jsonl", FunctionAppTestHost.Chat(3));

        var (id, _) = await host.StartAsync(source);
        var done = await host.WaitForEndAsync(id);

        Assert.Equal(BatchOutcome.Failed, done.Outcome);
        Assert.Contains("PollJobs", done.Failure, StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(await FunctionAppTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Summary("buggy.jsonl", id)));
        Assert.Equal("Failed", summary.RootElement.GetProperty("status").GetString());
        Assert.True(await host.Storage.Archive.GetBlobClient(BlobLayout.Archived("buggy.jsonl", id)).ExistsAsync());
        using var completion = JsonDocument.Parse((await host.Storage.Completed.ReceiveMessageAsync()).Value.MessageText);
        Assert.Equal("Failed", completion.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Options_ChangedAfterTheStart_DoNotChangeTheRunningBatch()
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Workflow:MaxParallelParts"] = "2" });
        var source = await host.DropAsync("options.jsonl", FunctionAppTestHost.Chat(2));

        var (id, _) = await host.StartAsync(source);
        var instance = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        await host.WaitForEndAsync(id);

        Assert.Equal(2, instance!.ReadInputAs<BatchState>()!.Workflow!.MaxParallelParts);
    }

    [Fact]
    public async Task StartAndCancel_InstanceStillPending_AreAnsweredFromItsInput()
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite);
        var source = await host.DropAsync("pending.jsonl", FunctionAppTestHost.Chat(2));
        var id = BatchInstanceId.From(source);

        // Scheduled for later: the instance exists, Pending, and has published no status yet.
        await host.Client.ScheduleNewOrchestrationInstanceAsync(
            BatchOrchestrator.Name,
            BatchState.Start(id, source, DateTimeOffset.UtcNow),
            new StartOrchestrationOptions(InstanceId: id, StartAt: DateTimeOffset.UtcNow.AddSeconds(2)));

        var get = await HttpFunctions.GetAsync(host, id);
        var cancel = await HttpFunctions.CancelAsync(host, id);
        var start = await host.StartAsync(source);
        var done = await host.WaitForEndAsync(id);

        Assert.Equal(200, get.StatusCode);
        Assert.Equal(202, cancel.StatusCode);
        Assert.False(start.Started);
        Assert.Equal(BatchOutcome.Cancelled, done.Outcome);
        Assert.Empty(await host.JobsOfAsync(id));
    }

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private static string? CustomId(string line) => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString();
}
