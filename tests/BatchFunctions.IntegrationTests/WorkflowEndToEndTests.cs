using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues.Models;
using BatchFunctions.Core;
using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.IntegrationTests;

/// <summary>The decider with the real activities against Azurite and the emulator, end to end.</summary>
[Collection(AzuriteTests.Name)]
public sealed class WorkflowEndToEndTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Run_InputOfThreeParts_SplitsSubmitsAndMergesInInputOrder()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "4" });
        var state = await host.DropAsync("orders/requests.jsonl", Chat(10, invalidAt: 6), new Dictionary<string, string> { ["metadata_team"] = "data" });

        var done = await host.Driver.RunAsync(state);

        Assert.Equal((BatchPhase.Completed, BatchOutcome.Succeeded), (done.Phase, done.Outcome));
        Assert.Equal(3, done.Parts.Count);
        var results = Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("orders/requests.jsonl", state.InstanceId)));
        Assert.Equal(Enumerable.Range(1, 10).Where(i => i != 6).Select(i => $"q{i}"), results.Select(CustomId));
        var errors = Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Errors, BlobLayout.Errors("orders/requests.jsonl", state.InstanceId)));
        Assert.Equal(["q6"], errors.Select(CustomId));

        using var summary = JsonDocument.Parse(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Summary("orders/requests.jsonl", state.InstanceId)));
        var usage = summary.RootElement.GetProperty("usage");
        Assert.Equal("Succeeded", summary.RootElement.GetProperty("status").GetString());
        Assert.Equal((10, 9, 1, 0), (usage.GetProperty("requests").GetInt32(), usage.GetProperty("succeeded").GetInt32(), usage.GetProperty("failed").GetInt32(), usage.GetProperty("missing").GetInt32()));
        Assert.True(usage.GetProperty("total_tokens").GetInt64() > 0);

        var jobs = await host.JobsOfAsync(state.InstanceId);
        Assert.Equal(3, jobs.Count);
        Assert.All(jobs, job => Assert.Equal("data", job.Metadata!["team"]));
        Assert.False(await host.Storage.Input.GetBlobClient("orders/requests.jsonl").ExistsAsync());
        Assert.True(await host.Storage.Archive.GetBlobClient(BlobLayout.Archived("orders/requests.jsonl", state.InstanceId)).ExistsAsync());
        Assert.Empty((await host.Mistral.ListFilesAsync(new FileListQuery { Sources = [FileSource.Upload] })).Data);

        QueueMessage message = (await host.Storage.Completed.ReceiveMessageAsync()).Value;
        using var completion = JsonDocument.Parse(message.MessageText);
        Assert.Equal(state.InstanceId, completion.RootElement.GetProperty("id").GetString());
        Assert.Equal("Succeeded", completion.RootElement.GetProperty("status").GetString());
        Assert.EndsWith("results.jsonl", completion.RootElement.GetProperty("results").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upgrade_StateOfTheLastReleasedSchemaMidBatch_IsBroughtToTheCurrentSchemaAndFinishes()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "4" });
        var started = await host.DropAsync("old-schema.jsonl", Chat(10));
        var uploaded = await host.Driver.RunAsync(started with { Workflow = host.Options.Snapshot() }, s => s.Phase == BatchPhase.Creating);

        // As the last released code wrote it: schema 1, no workflow options kept.
        var old = System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.Serialize(uploaded, BatchJsonContext.Readable.BatchState))!.AsObject();
        old["schema_version"] = 1;
        old.Remove("workflow");
        var loaded = JsonSerializer.Deserialize(old.ToJsonString(), BatchJsonContext.Readable.BatchState)!;
        Assert.Equal((1, null), (loaded.SchemaVersion, loaded.Workflow));

        var upgraded = loaded.Upgrade(host.Options);
        var done = await host.Driver.RunAsync(upgraded);

        Assert.Equal((BatchState.CurrentSchemaVersion, host.Options.MinPollDelay), (upgraded.SchemaVersion, upgraded.Workflow!.MinPollDelay));
        Assert.Same(upgraded, upgraded.Upgrade(new WorkflowOptions { MinPollDelay = TimeSpan.FromHours(1) }));
        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal(10, Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("old-schema.jsonl", done.InstanceId))).Count);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(4)]
    public async Task Run_OneOrSeveralParts_ReadsEachInputByteTwice(int requestsPerPart)
    {
        // Validation reads the input once and plans its parts in the same pass; each part is uploaded from
        // its range of the input (one part: the whole of it), so the input is read twice however many parts
        // there are, and nothing is staged. The merge indexes the 8-byte custom_id hashes validation wrote,
        // not the input; the archive is a copy inside the service.
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Batch:MaxRequestsPerPart"] = requestsPerPart.ToString(CultureInfo.InvariantCulture),
            ["Batch:DeleteUploadedFiles"] = "false",
        });
        var content = Chat(10);
        var state = await host.DropAsync("counted.jsonl", content);

        var done = await host.Driver.RunAsync(state);

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal((10 + requestsPerPart - 1) / requestsPerPart, done.Parts.Count);
        Assert.Equal(2 * Encoding.UTF8.GetByteCount(content), host.Reads.BytesReadFrom($"/{host.Storage.Options.InputContainer}/counted.jsonl"));
        Assert.Equal(0, host.Reads.BytesReadContaining($"/{host.Storage.Options.StagingContainer}/{state.InstanceId}/parts/"));
        Assert.Equal(10 * sizeof(ulong), host.Reads.BytesReadFrom($"/{host.Storage.Options.StagingContainer}/{BlobLayout.IdHashes(state.InstanceId)}"));
        Assert.Equal(0, host.Reads.BytesReadContaining($"/{host.Storage.Options.ArchiveContainer}/"));

        // The results are merged as each job is collected, straight from Mistral: nothing is staged as it came,
        // and finalizing joins the merged parts inside the storage service (a copy, or blocks staged from them).
        var results = await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("counted.jsonl", state.InstanceId));
        Assert.Equal(10, Lines(results).Count);
        Assert.Equal(0, host.Reads.BytesReadContaining($"/{host.Storage.Options.StagingContainer}/{state.InstanceId}/outputs/"));
        Assert.Equal(0, host.Reads.BytesReadContaining($"/{host.Storage.Options.StagingContainer}/{state.InstanceId}/merged/"));

        // What Mistral was sent, part after part, is the input byte for byte.
        var sent = new StringBuilder();
        foreach (var part in done.Parts)
        {
            await using var file = await host.Mistral.DownloadFileAsync(part.FileId!);
            using var reader = new StreamReader(file);
            sent.Append(await reader.ReadToEndAsync());
        }

        Assert.Equal(content, sent.ToString());
    }

    [Fact]
    public async Task CreateJob_ExecutedTwice_CreatesOneJob()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        var state = await host.DropAsync("twice.jsonl", Chat(2));
        var staged = await host.Driver.RunAsync(state, s => s.Phase == BatchPhase.Creating);
        var call = new CreateJobCall(state.InstanceId, 0, staged.Parts[0].FileId!, staged.Settings!);

        var first = await host.Activities.ExecuteAsync(call);
        var second = await host.Activities.ExecuteAsync(call);

        Assert.Equal(((JobCreatedPayload)first.Payload!).JobId, ((JobCreatedPayload)second.Payload!).JobId);
        Assert.Single(await host.JobsOfAsync(state.InstanceId));
    }

    [Fact]
    public async Task CreateJob_ListIgnoringItsMetadataFilter_AdoptsNoJobThatIsNotThisPartsOwn()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        var state = await host.DropAsync("careful.jsonl", Chat(2));
        var staged = await host.Driver.RunAsync(state, s => s.Phase == BatchPhase.Creating);

        // Older jobs in the workspace: another team's, and one of ours for another batch; then a Mistral whose
        // list ignores the metadata filter, as a server that ignores unknown query keys would.
        foreach (var (owner, instance) in new[] { ("another-team", state.InstanceId), ("me", "bf-00000000000000000000000000000000") })
        {
            using var foreign = new StringContent($$$"""{"owner": "{{{owner}}}", "metadata": {"batchfn_instance": "{{{instance}}}", "batchfn_part": "0"}}""", Encoding.UTF8, "application/json");
            (await host.Admin.PostAsync(new Uri("_emulator/foreign-jobs", UriKind.Relative), foreign)).EnsureSuccessStatusCode();
        }

        using (var ignore = new StringContent("""{"ignore_list_metadata": true}""", Encoding.UTF8, "application/json"))
        {
            (await host.Admin.PutAsync(new Uri("_emulator/settings", UriKind.Relative), ignore)).EnsureSuccessStatusCode();
        }

        var call = new CreateJobCall(state.InstanceId, 0, staged.Parts[0].FileId!, staged.Settings!, staged.StartedAt);
        var first = (JobCreatedPayload)(await host.Activities.ExecuteAsync(call)).Payload!;
        var again = (JobCreatedPayload)(await host.Activities.ExecuteAsync(call)).Payload!;

        var job = await host.Mistral.GetBatchJobAsync(first.JobId);
        Assert.Equal((state.InstanceId, "0"), (job.Metadata!["batchfn_instance"], job.Metadata["batchfn_part"]));
        Assert.Equal(staged.Parts[0].FileId, Assert.Single(job.InputFiles));
        Assert.Equal(first.JobId, again.JobId);
    }

    [Fact]
    public async Task CreateJob_RefusedForTheWorkspacesPendingLimit_WaitsForCapacityInsteadOfFailing()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        using (var limit = new StringContent("""{"max_pending_requests": 5}""", Encoding.UTF8, "application/json"))
        {
            (await host.Admin.PutAsync(new Uri("_emulator/settings", UriKind.Relative), limit)).EnsureSuccessStatusCode();
        }

        // The first batch's 4 requests are pending at Mistral; the second's 4 would pass the workspace's 5.
        var first = await host.Driver.RunAsync(await host.DropAsync("first.jsonl", Chat(4)), s => s.Parts.Count > 0 && s.Parts.All(p => p.JobId is not null));
        var second = await host.Driver.RunAsync(await host.DropAsync("second.jsonl", Chat(4)));
        var firstDone = await host.Driver.RunAsync(first);

        Assert.Equal((BatchOutcome.Succeeded, BatchOutcome.Succeeded), (firstDone.Outcome, second.Outcome));
        using var calls = JsonDocument.Parse(await host.Admin.GetStringAsync(new Uri("_emulator/calls", UriKind.Relative)));
        var creates = calls.RootElement.EnumerateArray().Where(c => c.GetProperty("method").GetString() == "POST" && c.GetProperty("path").GetString() == "/v1/batch/jobs").Select(c => c.GetProperty("status").GetInt32()).ToList();
        Assert.Contains(400, creates);
        Assert.Equal(2, creates.Count(status => status == 200));
    }

    [Fact]
    public async Task Run_BatchOfAnotherMistral_CallsNoMistralHereAndWaitsSayingWhy()
    {
        // Started with MISTRAL_API_KEY set, then found by a host that talks to the emulator.
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        var state = (await host.DropAsync("elsewhere.jsonl", Chat(3))) with { Mistral = new MistralBinding("https://api.mistral.ai/", "0123456789abcdef") };

        var waiting = await host.Driver.RunAsync(state, s => s.Retry?.LastError?.StartsWith("Waiting for its Mistral", StringComparison.Ordinal) == true);

        Assert.Null(waiting.Outcome);
        Assert.Contains($"started against https://api.mistral.ai/; this host talks to {host.Binding.Address}", waiting.Retry!.LastError, StringComparison.Ordinal);
        using var calls = JsonDocument.Parse(await host.Admin.GetStringAsync(new Uri("_emulator/calls", UriKind.Relative)));
        Assert.DoesNotContain(calls.RootElement.EnumerateArray(), c => c.GetProperty("path").GetString()!.StartsWith("/v1/", StringComparison.Ordinal));
        Assert.Equal(BatchStatus.From(waiting, host.Clock.GetUtcNow()).LastError, waiting.Retry.LastError);
    }

    [Fact]
    public async Task Run_HostSwitchedToAnotherMistralWhileJobsRun_LeavesTheJobsAloneAndFinishesBackAtTheFirst()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "2" });
        var polling = await host.Driver.RunAsync(await host.DropAsync("switched.jsonl", Chat(4)), s => s.Parts.Count > 0 && s.Parts.All(p => p.JobId is not null));
        (await host.Admin.DeleteAsync(new Uri("_emulator/calls", UriKind.Relative))).Dispose();

        // The host now talks to another Mistral (or another key): the batch's jobs are not its to poll or fail.
        var other = host.Binding with { KeyFingerprint = "ffffffffffffffff" };
        var waiting = await host.Driver.RunAsync(polling with { Mistral = other }, s => s.Retry?.LastError?.StartsWith("Waiting for its Mistral", StringComparison.Ordinal) == true);
        using (var calls = JsonDocument.Parse(await host.Admin.GetStringAsync(new Uri("_emulator/calls", UriKind.Relative))))
        {
            Assert.Empty(calls.RootElement.EnumerateArray());
        }

        Assert.Null(waiting.Outcome);
        Assert.Equal(polling.Parts.Select(p => p.JobId), waiting.Parts.Select(p => p.JobId));
        Assert.Contains("another API key", waiting.Retry!.LastError, StringComparison.Ordinal);

        // Back on a host of its own Mistral, the batch finishes with every answer.
        var done = await host.Driver.RunAsync(waiting with { Mistral = host.Binding });
        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal(4, Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("switched.jsonl", done.InstanceId))).Count);
    }

    [Fact]
    public async Task PollJobs_ManyJobs_ReadsThemThroughOneListCall()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "1" });
        var state = await host.DropAsync("listed.jsonl", Chat(10));
        var created = await host.Driver.RunAsync(state, s => s.Parts.Count > 0 && s.Parts.All(p => p.JobId is not null));
        (await host.Admin.DeleteAsync("_emulator/calls")).Dispose();

        var polled = await host.Activities.ExecuteAsync(new PollJobsCall(state.InstanceId, [.. created.Parts.Select(p => p.JobId!)], created.StartedAt));

        using var calls = JsonDocument.Parse(await host.Admin.GetStringAsync("_emulator/calls"));
        var paths = calls.RootElement.EnumerateArray().Where(c => c.GetProperty("method").GetString() == "GET").Select(c => c.GetProperty("path").GetString()).ToList();
        Assert.Equal(created.Parts.Select(p => p.JobId), ((JobsPayload)polled.Payload!).Jobs.Select(j => j.JobId));
        Assert.Equal(["/v1/batch/jobs"], paths);
    }

    [Fact]
    public async Task PollJobs_FewerJobsThanAListPageIsWorth_ReadsThemAtOnce()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "1" });
        var state = await host.DropAsync("polled.jsonl", Chat(PollJobsActivity.ListFrom - 1));
        var created = await host.Driver.RunAsync(state, s => s.Parts.Count > 0 && s.Parts.All(p => p.JobId is not null));
        const string Slow = """{"kind":"slow","count":3,"delay_milliseconds":500,"method":"GET","path_prefix":"/v1/batch/jobs/"}""";
        (await host.Admin.DeleteAsync("_emulator/calls")).Dispose();
        (await host.Admin.PostAsync("_emulator/faults", new StringContent(Slow, Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

        var polled = await host.Activities.ExecuteAsync(new PollJobsCall(state.InstanceId, [.. created.Parts.Select(p => p.JobId!)]));

        // Each read took half a second: read one after another, none would start before the previous one ended.
        using var calls = JsonDocument.Parse(await host.Admin.GetStringAsync("_emulator/calls"));
        var reads = calls.RootElement.EnumerateArray()
            .Where(c => c.GetProperty("method").GetString() == "GET" && c.GetProperty("path").GetString()!.StartsWith("/v1/batch/jobs/", StringComparison.Ordinal))
            .Select(c => (Start: c.GetProperty("started_milliseconds").GetDouble(), End: c.GetProperty("started_milliseconds").GetDouble() + c.GetProperty("elapsed_milliseconds").GetDouble()))
            .ToList();
        Assert.Equal(created.Parts.Select(p => p.JobId), ((JobsPayload)polled.Payload!).Jobs.Select(j => j.JobId));
        Assert.Equal(PollJobsActivity.ListFrom - 1, reads.Count);
        Assert.True(reads.Max(r => r.Start) < reads.Min(r => r.End), $"job reads ran one after another: {string.Join(", ", reads)}");
    }

    [Fact]
    public async Task Run_CrashAfterCreatingAJobBeforeRecordingIt_ReusesThatJob()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        var state = await host.DropAsync("crash.jsonl", Chat(3));
        var beforeCreate = await host.Driver.RunAsync(state, s => s.Phase == BatchPhase.Creating);

        // The activity ran and Mistral made the job, but the host died before the result was recorded.
        var lost = await host.Activities.ExecuteAsync(new CreateJobCall(state.InstanceId, 0, beforeCreate.Parts[0].FileId!, beforeCreate.Settings!));
        var done = await host.Driver.RunAsync(beforeCreate);

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal(((JobCreatedPayload)lost.Payload!).JobId, done.Parts[0].JobId);
        Assert.Single(await host.JobsOfAsync(state.InstanceId));
    }

    [Fact]
    public async Task Run_JobCreatedButItsAnswerLostAndTheJobAlreadyDone_CollectsEveryResult()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        (await host.Admin.PutAsync("_emulator/settings", new StringContent("""{"queue_delay_seconds":0,"requests_per_second":1000000}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var state = await host.DropAsync("lost-answer.jsonl", Chat(100));
        var beforeCreate = await host.Driver.RunAsync(state, s => s.Phase == BatchPhase.Creating);

        // Mistral made the job, but its answer never reached the workflow; by the retry the job is over.
        await host.Activities.ExecuteAsync(new CreateJobCall(state.InstanceId, 0, beforeCreate.Parts[0].FileId!, beforeCreate.Settings!));
        host.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("SUCCESS", (await host.JobsOfAsync(state.InstanceId)).Single().Status.Value);
        var done = await host.Driver.RunAsync(beforeCreate);

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal(100, Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("lost-answer.jsonl", state.InstanceId))).Count);
        using var summary = JsonDocument.Parse(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Summary("lost-answer.jsonl", state.InstanceId)));
        Assert.Equal((100, 0), (summary.RootElement.GetProperty("usage").GetProperty("succeeded").GetInt32(), summary.RootElement.GetProperty("usage").GetProperty("missing").GetInt32()));
    }

    [Fact]
    public async Task Finalize_SucceededJobsButLinesWithoutAResult_EndsFailedNotSucceeded()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        var state = await host.DropAsync("uncollected.jsonl", Chat(4));
        var collecting = await host.Driver.RunAsync(state, s => s.Phase == BatchPhase.Collecting);

        // The decider is told the part was collected when no output reached storage.
        var pretended = collecting with { Phase = BatchPhase.Finalizing, Parts = [.. collecting.Parts.Select(p => p with { Collected = true })] };
        var finish = await host.Activities.ExecuteAsync(new FinalizeCall(state.InstanceId, pretended, BatchOutcome.Succeeded, null));
        var done = BatchDecider.Evolve(pretended, finish with { CompletedAt = host.Clock.GetUtcNow() }, host.Options);

        Assert.Equal(BatchOutcome.Failed, done.Outcome);
        Assert.Contains("4 of 4 requests have no result", done.Failure, StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Summary("uncollected.jsonl", state.InstanceId)));
        Assert.Equal("Failed", summary.RootElement.GetProperty("status").GetString());
        Assert.Equal(["missing_result", "missing_result", "missing_result", "missing_result"], ErrorCodes(await WorkflowTestHost.ReadTextAsync(host.Storage.Errors, BlobLayout.Errors("uncollected.jsonl", state.InstanceId))));
        Assert.True(await host.Storage.Archive.GetBlobClient(BlobLayout.Archived("uncollected.jsonl", state.InstanceId)).ExistsAsync());
    }

    [Fact]
    public async Task Finalize_RunAgainAfterArchivingSeveralParts_ReadsEachPartsRangeFromTheArchive()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "3" });
        var state = await host.DropAsync("again.jsonl", Chat(8));
        var collecting = await host.Driver.RunAsync(state, s => s.Phase == BatchPhase.Collecting);
        var pretended = collecting with { Phase = BatchPhase.Finalizing, Parts = [.. collecting.Parts.Select(p => p with { Collected = true, Merged = null })] };
        var call = new FinalizeCall(state.InstanceId, pretended, BatchOutcome.Succeeded, null);
        var errorsName = BlobLayout.Errors("again.jsonl", state.InstanceId);

        // Every line unanswered, so the merge reads each part's lines; the second run finds the input archived.
        await host.Activities.ExecuteAsync(call);
        var first = await WorkflowTestHost.ReadTextAsync(host.Storage.Errors, errorsName);
        Assert.False(await host.Storage.Input.GetBlobClient("again.jsonl").ExistsAsync());
        var again = await host.Activities.ExecuteAsync(call);

        Assert.Equal(ActivityStatus.Succeeded, again.Status);
        Assert.Equal(3, pretended.Parts.Count);
        Assert.Equal(first, await WorkflowTestHost.ReadTextAsync(host.Storage.Errors, errorsName));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => "q" + i), Lines(first).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString()));
    }

    [Fact]
    public async Task Finalize_PartsCollectedByTheEarlierVersion_MergesTheFilesItCopied()
    {
        // A batch that was collecting when this version was deployed: its parts' files were copied as they
        // came (a collect call without its part), and nothing was merged at collection.
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "3", ["Batch:DeleteUploadedFiles"] = "false" });
        var state = await host.DropAsync("earlier.jsonl", Chat(8));
        var collected = await host.Driver.RunAsync(state, s => s.Phase == BatchPhase.Finalizing);
        foreach (var part in collected.Parts)
        {
            var copied = await host.Activities.ExecuteAsync(new CollectPartCall(state.InstanceId, part.Index, part.OutputFileId, part.ErrorFileId, part.JobId));
            Assert.Null(((CollectedPayload)copied.Payload!).Merged);
            await host.Storage.Staging.GetBlobClient(BlobLayout.PartResults(state.InstanceId, part.Index)).DeleteAsync();
        }

        var earlier = collected with { Parts = [.. collected.Parts.Select(p => p with { Merged = null })] };
        var finished = await host.Activities.ExecuteAsync(new FinalizeCall(state.InstanceId, earlier, BatchOutcome.Succeeded, null));

        Assert.Equal(ActivityStatus.Succeeded, finished.Status);
        Assert.Null(((FinishedPayload)finished.Payload!).Outcome);
        Assert.Equal(
            Enumerable.Range(1, 8).Select(i => "q" + i),
            Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("earlier.jsonl", state.InstanceId))).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString()));
    }

    [Fact]
    public async Task Finalize_OnlyFailureIsALineForNoRequest_KeepsErrorsWithThatLine()
    {
        // Mistral answered every request, and also sent a failed line whose custom_id is none of ours: it is
        // counted as unmatched, not failed, and must still end up in errors.jsonl (it was deleted with the file).
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:DeleteUploadedFiles"] = "false" });
        var state = await host.DropAsync("stranger.jsonl", Chat(3));
        var collected = await host.Driver.RunAsync(state, s => s.Phase == BatchPhase.Finalizing);
        var part = collected.Parts[0];
        await host.Activities.ExecuteAsync(new CollectPartCall(state.InstanceId, part.Index, part.OutputFileId, part.ErrorFileId, part.JobId));
        const string Stranger = "{\"custom_id\":\"stranger\",\"response\":{\"status_code\":500,\"body\":{}},\"error\":null}";
        await host.Storage.Staging.GetBlobClient(BlobLayout.PartErrors(state.InstanceId, part.Index)).UploadAsync(BinaryData.FromString(Stranger + "\n"), overwrite: true);

        var finished = await host.Activities.ExecuteAsync(new FinalizeCall(state.InstanceId, collected with { Parts = [part with { Merged = null }] }, BatchOutcome.Succeeded, null));

        var outputs = ((FinishedPayload)finished.Payload!).Outputs;
        Assert.NotNull(outputs.Errors);
        Assert.Equal([Stranger], Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Errors, BlobLayout.Errors("stranger.jsonl", state.InstanceId))));
        Assert.Equal(3, Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("stranger.jsonl", state.InstanceId))).Count);
    }

    [Fact]
    public async Task Finalize_MergedPartNoLongerMatchingItsMd5_JoinsThePartsThroughTheProcess()
    {
        // A second run of a collect rewrote the part after the first had set its MD5: the storage service
        // refuses to stage it from its URL, and the parts are streamed through instead, whole and in order.
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "3" });
        var state = await host.DropAsync("rehashed.jsonl", Chat(8));
        var collected = await host.Driver.RunAsync(state, s => s.Phase == BatchPhase.Finalizing);
        var part = host.Storage.Staging.GetBlobClient(BlobLayout.PartResults(state.InstanceId, 1));
        await part.SetHttpHeadersAsync(new BlobHttpHeaders { ContentHash = new byte[16] });

        var done = await host.Driver.RunAsync(collected);

        Assert.True(done.Outcome == BatchOutcome.Succeeded, done.Failure);
        Assert.Equal(
            Enumerable.Range(1, 8).Select(i => "q" + i),
            Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("rehashed.jsonl", state.InstanceId))).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString()));
        Assert.True(host.Reads.BytesReadContaining($"/{host.Storage.Options.StagingContainer}/{state.InstanceId}/merged/") > 0);
    }

    [Fact]
    public async Task Finalize_IdHashesGone_IndexesTheInputInsteadAndKeepsEveryResult()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "3" });
        var state = await host.DropAsync("swept.jsonl", Chat(8));
        var collected = await host.Driver.RunAsync(state, s => s.Phase == BatchPhase.Finalizing);

        // The staging lifecycle rule deleted the hashes of a batch that ran longer than it keeps them.
        await host.Storage.Staging.GetBlobClient(BlobLayout.IdHashes(state.InstanceId)).DeleteAsync();
        var done = await host.Driver.RunAsync(collected);

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal(
            Enumerable.Range(1, 8).Select(i => "q" + i),
            Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("swept.jsonl", state.InstanceId))).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString()));
    }

    [Fact]
    public async Task Finalize_UploadRetriedAfterALostAnswer_DeletesEveryFileOfTheBatch()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        var state = await host.DropAsync("strays.jsonl", Chat(2));
        var uploaded = await host.Driver.RunAsync(state, s => s.Phase == BatchPhase.Creating);

        // A second copy under our name, as an upload resent after its answer was lost leaves behind.
        await using (var stray = new MemoryStream(Encoding.UTF8.GetBytes(Chat(2))))
        {
            await host.Mistral.UploadFileAsync(stray, BlobLayout.UploadName(state.InstanceId, 0), new UploadFileOptions { Purpose = FilePurpose.Batch });
        }

        var done = await host.Driver.RunAsync(uploaded);

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Empty((await host.Mistral.ListFilesAsync(new FileListQuery { Sources = [FileSource.Upload] })).Data);
    }

    [Fact]
    public async Task Run_InvalidInput_IsRejectedWithItsReportAndTheInputStays()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        var content = Chat(2) + "{\"custom_id\":\"q3\",\"body\":{\"messages\":[]}}\nnot json\n";
        var state = await host.DropAsync("bad.jsonl", content);

        var done = await host.Driver.RunAsync(state);

        Assert.Equal(BatchOutcome.Rejected, done.Outcome);
        Assert.StartsWith("Rejected: 2 errors, first at line 3 (body.messages): invalid_field:", BatchStatus.From(done, host.Clock.GetUtcNow()).Message, StringComparison.Ordinal);
        Assert.Null(BatchStatus.From(done, host.Clock.GetUtcNow()).PercentDone);
        Assert.Equal(content, await WorkflowTestHost.ReadTextAsync(host.Storage.Input, "bad.jsonl"));
        using var rejection = JsonDocument.Parse(await WorkflowTestHost.ReadTextAsync(host.Storage.Errors, BlobLayout.Rejection("bad.jsonl", state.InstanceId)));
        var errors = rejection.RootElement.GetProperty("validation").GetProperty("errors");
        Assert.Equal([(3, "invalid_field"), (4, "invalid_json")], errors.EnumerateArray().Select(e => (e.GetProperty("line").GetInt32(), e.GetProperty("code").GetString())));
        Assert.Empty((await host.Mistral.ListFilesAsync()).Data);
        Assert.Empty(await host.JobsOfAsync(state.InstanceId));
        Assert.False(await host.Storage.Staging.GetBlobClient(BlobLayout.IdHashes(state.InstanceId)).ExistsAsync());
    }

    [Fact]
    public async Task Run_InvalidSettingsInMetadata_IsRejectedWithTheReason()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        var state = await host.DropAsync("settings.jsonl", Chat(1), new Dictionary<string, string> { ["timeout_hours"] = "500" });

        var done = await host.Driver.RunAsync(state);

        Assert.Equal(BatchOutcome.Rejected, done.Outcome);
        Assert.Contains("timeout_hours", done.Failure, StringComparison.Ordinal);
        Assert.True(await host.Storage.Input.GetBlobClient("settings.jsonl").ExistsAsync());
    }

    [Fact]
    public async Task Run_UnknownModel_FailsWithTheServersMessageInTheSummary()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        var state = await host.DropAsync("model.jsonl", Chat(2), new Dictionary<string, string> { ["model"] = "no-such-model" });

        var done = await host.Driver.RunAsync(state);

        Assert.Equal(BatchOutcome.Failed, done.Outcome);
        Assert.Contains("Invalid model: no-such-model", done.Failure, StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Summary("model.jsonl", state.InstanceId)));
        Assert.Contains("Invalid model: no-such-model", summary.RootElement.GetProperty("failure").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("Failed: ", summary.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(summary.RootElement.GetProperty("message").GetString(), BatchStatus.From(done, host.Clock.GetUtcNow()).Message);
        Assert.Equal((0, 2), (summary.RootElement.GetProperty("usage").GetProperty("missing").GetInt32(), summary.RootElement.GetProperty("usage").GetProperty("not_processed").GetInt32()));
        Assert.Equal(["job_failed", "job_failed"], ErrorCodes(await WorkflowTestHost.ReadTextAsync(host.Storage.Errors, BlobLayout.Errors("model.jsonl", state.InstanceId))));
    }

    [Fact]
    public async Task Run_CancelWhileJobsRun_CancelsCollectsPartialResultsAndEndsCancelled()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        var state = await host.DropAsync("cancel.jsonl", Chat(40));
        var running = await host.Driver.RunAsync(state, s => s.Phase == BatchPhase.Polling && s.Parts.Any(p => p.Completed > 0));

        var done = await host.Driver.RunAsync(BatchDecider.RequestCancel(running));

        Assert.Equal(BatchOutcome.Cancelled, done.Outcome);
        Assert.Equal("CANCELLED", done.Parts[0].JobStatus);
        var results = Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("cancel.jsonl", state.InstanceId)));
        Assert.InRange(results.Count, 1, 39);
        using var summary = JsonDocument.Parse(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Summary("cancel.jsonl", state.InstanceId)));
        var usage = summary.RootElement.GetProperty("usage");
        Assert.Equal(0, usage.GetProperty("missing").GetInt32());
        Assert.Equal(40, usage.GetProperty("succeeded").GetInt32() + usage.GetProperty("failed").GetInt32() + usage.GetProperty("not_processed").GetInt32());
        var codes = ErrorCodes(await WorkflowTestHost.ReadTextAsync(host.Storage.Errors, BlobLayout.Errors("cancel.jsonl", state.InstanceId)));
        Assert.Equal(40 - results.Count, codes.Count);
        Assert.All(codes, code => Assert.Equal("cancelled", code));
        var status = BatchStatus.From(done, host.Clock.GetUtcNow());
        Assert.Equal($"Cancelled after {done.Parts[0].Completed} of 40", status.Message);
        Assert.Equal(Math.Round(100.0 * done.Parts[0].Completed / 40, 1), status.PercentDone);
        Assert.Equal(status.Message, summary.RootElement.GetProperty("message").GetString());
        Assert.Equal(done.CompletedAt, summary.RootElement.GetProperty("completed_at").GetDateTimeOffset());
    }

    [Fact]
    public async Task Run_MistralJobFails_KeepsWhatExistsAndReportsTheJobError()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        (await host.Admin.PostAsync("_emulator/outcomes", new StringContent("""{"status":"FAILED","after_requests":3,"message":"Emulated capacity error"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var state = await host.DropAsync("failing.jsonl", Chat(8));

        var done = await host.Driver.RunAsync(state);

        Assert.Equal(BatchOutcome.Failed, done.Outcome);
        Assert.Contains("Emulated capacity error", done.Failure, StringComparison.Ordinal);
        Assert.Equal(3, Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("failing.jsonl", state.InstanceId))).Count);
        Assert.Equal(["job_failed", "job_failed", "job_failed", "job_failed", "job_failed"], ErrorCodes(await WorkflowTestHost.ReadTextAsync(host.Storage.Errors, BlobLayout.Errors("failing.jsonl", state.InstanceId))));
        Assert.True(await host.Storage.Archive.GetBlobClient(BlobLayout.Archived("failing.jsonl", state.InstanceId)).ExistsAsync());
    }

    [Fact]
    public async Task Run_DeadlinePassesWhileRunning_EndsTimedOutWithPartialResults()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Workflow:DeadlineGrace"] = "00:00:00" });
        (await host.Admin.PutAsync("_emulator/settings", new StringContent("""{"requests_per_second":0.0005}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var state = await host.DropAsync("slow.jsonl", Chat(5), new Dictionary<string, string> { ["timeout_hours"] = "2" });

        var done = await host.Driver.RunAsync(state);

        Assert.Equal(BatchOutcome.TimedOut, done.Outcome);
        Assert.Contains(done.Parts[0].JobStatus, new[] { "CANCELLED", "TIMEOUT_EXCEEDED" });
        using var summary = JsonDocument.Parse(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Summary("slow.jsonl", state.InstanceId)));
        Assert.Equal("TimedOut", summary.RootElement.GetProperty("status").GetString());
        Assert.StartsWith("Timed out after ", summary.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.All(ErrorCodes(await WorkflowTestHost.ReadTextAsync(host.Storage.Errors, BlobLayout.Errors("slow.jsonl", state.InstanceId))), code => Assert.Equal("timed_out", code));
    }

    [Fact]
    public async Task Run_EmulatorFailingAShareOfCalls_StillFinishes()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Batch:MaxRequestsPerPart"] = "3" });
        (await host.Admin.PostAsync("_emulator/faults", new StringContent("""{"kind":"server_error","rate":0.2}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var state = await host.DropAsync("flaky.jsonl", Chat(9));

        var done = await host.Driver.RunAsync(state);

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal(3, (await host.JobsOfAsync(state.InstanceId)).Count);
        Assert.Equal(9, Lines(await WorkflowTestHost.ReadTextAsync(host.Storage.Output, BlobLayout.Results("flaky.jsonl", state.InstanceId))).Count);
    }

    /// <summary>Chat requests q1..qN; the one at <paramref name="invalidAt"/> passes our validation but Mistral refuses it (negative max_tokens).</summary>
    private static string Chat(int count, int invalidAt = 0) => string.Concat(Enumerable.Range(1, count).Select(i =>
        "{\"custom_id\":\"q" + i + "\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"question " + i + "\"}]"
        + (i == invalidAt ? ",\"max_tokens\":-1" : string.Empty) + "}}\n"));

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private static List<string?> ErrorCodes(string text) =>
        [.. Lines(text).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("error").GetProperty("code").GetString())];

    private static string? CustomId(string line) => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString();
}
