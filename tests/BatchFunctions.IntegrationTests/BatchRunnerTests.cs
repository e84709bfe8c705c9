using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using BatchFunctions.MistralEmulator;
using BatchFunctions.Runner;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace BatchFunctions.IntegrationTests;

/// <summary>The self-hosted runner on real time: state persisted after every step, resumed after an interruption.</summary>
[Collection(AzuriteTests.Name)]
public sealed class BatchRunnerTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private MistralEmulatorServer _emulator = null!;
    private ServiceProvider _services = null!;

    private BatchStorage Storage => _services.GetRequiredService<BatchStorage>();

    public async Task InitializeAsync()
    {
        _emulator = await MistralEmulatorServer.StartAsync(options =>
        {
            options.QueueDelay = TimeSpan.FromMilliseconds(200);
            options.RequestsPerSecond = 20;
        });
        var settings = WorkflowTestHost.IsolatedSettings(azurite, _emulator);
        settings["Batch:MaxRequestsPerPart"] = "5";
        settings["Workflow:FirstPollDelay"] = "00:00:00.200";
        settings["Workflow:MinPollDelay"] = "00:00:00.200";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        _services = new ServiceCollection().AddLogging().AddBatchFunctionsRunner(configuration).BuildServiceProvider();
        await Storage.EnsureCreatedAsync();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task InstanceStore_SecondStartAndStaleSave_ReturnTheExistingRecordAndRefuseTheWrite()
    {
        var store = _services.GetRequiredService<InstanceStore>();
        await store.EnsureCreatedAsync();
        var source = new BatchSource("a", "c", "n", "e");
        var state = BatchState.Start(BatchInstanceId.From(source), source, DateTimeOffset.UnixEpoch);

        var first = await store.CreateOrLoadAsync(state);
        var second = await store.CreateOrLoadAsync(state with { Phase = BatchPhase.Staging });
        var saved = await store.SaveAsync(state with { Phase = BatchPhase.Uploading }, first.Version, DateTimeOffset.UnixEpoch);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(BatchPhase.Validating, second.State!.Phase);
        await Assert.ThrowsAsync<InstanceConflictException>(() => store.SaveAsync(state with { Phase = BatchPhase.Creating }, first.Version, DateTimeOffset.UnixEpoch));
        Assert.Equal(BatchPhase.Uploading, (await store.LoadAsync(state.InstanceId))!.Value.State.Phase);
        Assert.NotEqual(first.Version, saved);
    }

    [Fact]
    public async Task TryAcquireLease_HeldByAnotherOwner_GivesNothingUntilReleased()
    {
        var store = _services.GetRequiredService<InstanceStore>();
        await store.EnsureCreatedAsync();
        var id = BatchInstanceId.From(new BatchSource("a", "c", "leased.jsonl", "e"));

        var first = await store.TryAcquireLeaseAsync(id, "runner-1");
        var second = await store.TryAcquireLeaseAsync(id, "runner-2");
        var again = await store.TryAcquireLeaseAsync(id, "runner-1");
        await again!.DisposeAsync();
        var afterRelease = await store.TryAcquireLeaseAsync(id, "runner-2");

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.NotNull(afterRelease);
        await first!.DisposeAsync();
        await afterRelease!.DisposeAsync();
    }

    [Fact]
    public async Task RequestCancelAsync_WaitingBatch_RecordsTheRequestAndMakesItDueNow()
    {
        var store = _services.GetRequiredService<InstanceStore>();
        await store.EnsureCreatedAsync();
        var source = new BatchSource("a", "c", "cancel.jsonl", "e");
        var created = await store.CreateOrLoadAsync(BatchState.Start(BatchInstanceId.From(source), source, DateTimeOffset.UnixEpoch));
        await store.SaveAsync(created.State! with { Phase = BatchPhase.Polling }, created.Version, DateTimeOffset.MaxValue);

        var cancelled = await store.RequestCancelAsync(created.State!.InstanceId);
        var entry = await store.ListAsync().SingleAsync(e => e.Id == created.State.InstanceId);

        Assert.True(cancelled!.CancelRequested);
        Assert.Equal(BatchPhase.Polling, cancelled.Phase);
        Assert.True(entry.IsDue(DateTimeOffset.UtcNow));
        Assert.Null(await store.RequestCancelAsync(BatchInstanceId.From(new BatchSource("a", "c", "none.jsonl", "e"))));
    }

    [Fact]
    public async Task RunAsync_InterruptedWhilePolling_ResumesFromTheSavedStateWithOneJobPerPart()
    {
        var lines = string.Concat(Enumerable.Range(1, 12).Select(i => $"{{\"custom_id\":\"r{i}\",\"body\":{{\"messages\":[{{\"role\":\"user\",\"content\":\"q {i}\"}}]}}}}\n"));
        var uploaded = await Storage.Input.GetBlobClient("resume.jsonl").UploadAsync(BinaryData.FromString(lines), new BlobUploadOptions());
        var source = new BatchSource(Storage.AccountName, Storage.Options.InputContainer, "resume.jsonl", uploaded.Value.ETag.ToString());
        using var interrupt = new CancellationTokenSource();
        var stopAtPolling = new Progress(status =>
        {
            if (status.Phase == BatchPhase.Polling)
            {
                interrupt.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _services.GetRequiredService<BatchRunner>().RunAsync(source, stopAtPolling, interrupt.Token));
        var saved = await _services.GetRequiredService<InstanceStore>().LoadAsync(BatchInstanceId.From(source));
        var done = await _services.GetRequiredService<BatchRunner>().RunAsync(source);

        Assert.Equal(BatchPhase.Polling, saved!.Value.State.Phase);
        Assert.NotNull(done);
        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal(3, done.Parts.Count);
        var jobs = await WorkflowTestHost.JobsOfAsync(_services.GetRequiredService<MistralClient>(), done.InstanceId);

        Assert.Equal(3, jobs.Count);
        Assert.Equal(done.Parts.Select(p => p.JobId).Order(), jobs.Select(j => j.Id).Order());
    }

    [Fact]
    public async Task StepAsync_CancelRecordedWhileItsStepRuns_FoldsTheCancelIntoItsSaveAndActsOnIt()
    {
        var lines = string.Concat(Enumerable.Range(1, 4).Select(i => $"{{\"custom_id\":\"c{i}\",\"body\":{{\"messages\":[{{\"role\":\"user\",\"content\":\"q {i}\"}}]}}}}\n"));
        // A job that outlasts the test, so that the cancel has a job to act on.
        using (var admin = new HttpClient { BaseAddress = _emulator.BaseAddress })
        {
            (await admin.PutAsync(new Uri("_emulator/settings", UriKind.Relative), new StringContent("""{"requests_per_second":0.01}""", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        }

        var uploaded = await Storage.Input.GetBlobClient("merge.jsonl").UploadAsync(BinaryData.FromString(lines), new BlobUploadOptions());
        var source = new BatchSource(Storage.AccountName, Storage.Options.InputContainer, "merge.jsonl", uploaded.Value.ETag.ToString());
        var id = BatchInstanceId.From(source);
        var store = _services.GetRequiredService<InstanceStore>();
        var runner = _services.GetRequiredService<BatchRunner>();
        using var interrupt = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync(source, new Progress(s =>
        {
            if (s.Phase == BatchPhase.Polling)
            {
                interrupt.Cancel();
            }
        }), interrupt.Token));

        // The next step (a poll) reports before it runs: the cancel is written then, so the step's save conflicts.
        var cancelWritten = false;
        var onStep = new Progress(_ =>
        {
            if (!cancelWritten)
            {
                cancelWritten = true;
                store.RequestCancelAsync(id).GetAwaiter().GetResult();
            }
        });
        StepResult step;
        do
        {
            step = await runner.StepAsync(id, onStep);
        }
        while (!cancelWritten);
        var saved = (await store.LoadAsync(id))!.Value.State;

        Assert.True(step.State!.CancelRequested);
        Assert.True(step.State.CancelSent);
        Assert.True(saved.CancelRequested);
        Assert.True(saved.CancelSent);
    }

    [Fact]
    public async Task RunAsync_OneJobSlowToCreate_DoesNotHoldBackTheNextPartsJobs()
    {
        // Four parts, two at a time; creating the first job takes 5 s. With a barrier after every step the
        // third and fourth parts' jobs would wait for it; now each part goes on when its own upload is done, long before it ends.
        var settings = WorkflowTestHost.IsolatedSettings(azurite, _emulator);
        settings["Batch:MaxRequestsPerPart"] = "5";
        settings["Workflow:MaxParallelParts"] = "2";
        settings["Workflow:FirstPollDelay"] = "00:00:00.200";
        settings["Workflow:MinPollDelay"] = "00:00:00.200";
        await using var services = new ServiceCollection().AddLogging().AddBatchFunctionsRunner(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider();
        var storage = services.GetRequiredService<BatchStorage>();
        await storage.EnsureCreatedAsync();
        using var admin = new HttpClient { BaseAddress = _emulator.BaseAddress };
        var slowCreate = """{"kind":"slow","method":"POST","path_prefix":"/v1/batch/jobs","delay_milliseconds":5000,"count":1}""";
        (await admin.PostAsync(new Uri("_emulator/faults", UriKind.Relative), new StringContent(slowCreate, System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var lines = string.Concat(Enumerable.Range(1, 20).Select(i => $"{{\"custom_id\":\"p{i}\",\"body\":{{\"messages\":[{{\"role\":\"user\",\"content\":\"q {i}\"}}]}}}}\n"));
        var uploaded = await storage.Input.GetBlobClient("barrier.jsonl").UploadAsync(BinaryData.FromString(lines), new BlobUploadOptions());
        var source = new BatchSource(storage.AccountName, storage.Options.InputContainer, "barrier.jsonl", uploaded.Value.ETag.ToString());

        var done = await services.GetRequiredService<BatchRunner>().RunAsync(source);

        Assert.Equal(BatchOutcome.Succeeded, done!.Outcome);
        Assert.Equal(4, done.Parts.Count);
        var creates = await EmulatorCalls.OfAsync(admin, "POST", "/v1/batch/jobs");
        var slow = Assert.Single(creates, c => c.Fault == "slow");
        Assert.Equal(4, creates.Count);
        Assert.Equal(3, creates.Count(c => c.Fault is null && c.Start < slow.End));
    }

    /// <summary>Reports synchronously, so the test acts at the exact step it watches for.</summary>
    private sealed class Progress(Action<BatchStatus> report) : IProgress<BatchStatus>
    {
        public void Report(BatchStatus value) => report(value);
    }
}
