using System.Text.Json;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Tests.Workflow;

/// <summary>Every transition of the decider, with hand-made activity results: no engine, no I/O.</summary>
public sealed class BatchDeciderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 2, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly BatchSource Source = new("acct", "batch-input", "in.jsonl", "\"0x1\"");
    private static readonly BatchSettings Settings = new("/v1/chat/completions", "mistral-small-latest", 24, new Dictionary<string, string>());

    private readonly WorkflowOptions _options = new() { MaxParallelParts = 2 };

    [Fact]
    public void Decide_NewBatch_ValidatesTheInput()
    {
        var call = Single<ValidateInputCall>(Decide(Start()));

        Assert.Equal(Source, call.Source);
    }

    [Fact]
    public void Evolve_ValidInputWithPlannedParts_UploadsEachRangeOfThisVersionWithoutStaging()
    {
        var planned = new ValidatedPayload(true, 10, 1000, 0, null, Settings, [new StagedPart(0, "batch-input", "in.jsonl", 6, 600, 0, 0), new StagedPart(1, "batch-input", "in.jsonl", 4, 400, 600, 6)]);

        var state = Evolve(Start(), new ValidateInputCall("id", Source), planned);
        var uploads = Calls<UploadPartCall>(Decide(state));

        Assert.Equal(BatchPhase.Uploading, state.Phase);
        Assert.Equal([(0L, 0L), (600L, 6L)], state.Parts.Select(p => (p.Offset!.Value, p.FirstRequest!.Value)));
        Assert.Equal([(0L, 600L), (600L, 400L)], uploads.Select(u => (u.Offset!.Value, u.Length!.Value)));
        Assert.All(uploads, u => Assert.Equal((Source.Container, Source.Name, Source.ETag), (u.Container, u.BlobName, u.ETag)));
    }

    [Fact]
    public void Evolve_ValidInput_StagesWithSettingsAndADeadline()
    {
        // A validation recorded without planned parts (an older version's history) is split by a staging step.
        var state = Evolve(Start(), Valid());

        Assert.Equal(BatchPhase.Staging, state.Phase);
        Assert.Equal(Settings, state.Settings);
        Assert.Equal(T0 + TimeSpan.FromHours(24) + _options.DeadlineGrace, state.Deadline);
        Assert.Equal((10L, 1000L), Single<StagePartsCall>(Decide(state)) is var stage ? (stage.Requests, stage.Bytes) : default);
    }

    [Fact]
    public void Evolve_InvalidInput_RejectsThenCompletesRejected()
    {
        var rejected = Evolve(Start(), new ValidateInputCall("id", Source), new ValidatedPayload(false, 3, 100, 2, "line 2: invalid_json", null));
        var reject = Single<RejectInputCall>(Decide(rejected));
        var done = Evolve(rejected, reject, new FinishedPayload(new BatchOutputs(Rejection: "rejection.json")));

        Assert.Equal(BatchPhase.Rejected, rejected.Phase);
        Assert.Contains("line 2: invalid_json", rejected.Failure, StringComparison.Ordinal);
        Assert.Equal((BatchPhase.Completed, BatchOutcome.Rejected), (done.Phase, done.Outcome));
        Assert.Equal(new FinishBatch(BatchOutcome.Rejected), BatchDecider.Decide(done, T0, _options));
    }

    [Fact]
    public void Decide_Uploading_UploadsAtMostTheParallelLimit()
    {
        var state = Staged(3);

        var calls = Calls<UploadPartCall>(Decide(state));

        Assert.Equal([0, 1], calls.Select(c => c.PartIndex));
    }

    [Fact]
    public void Decide_SomePartsUploaded_CreatesTheirJobsInTheStepThatUploadsTheNext()
    {
        var staged = Staged(5);
        var first = Decide(staged);
        var uploaded = Calls<UploadPartCall>(first).Aggregate(staged, (s, c) => Evolve(s, c, new UploadedPayload($"file-{c.PartIndex}")));

        var second = Assert.IsType<RunActivities>(Decide(uploaded)).Calls;

        Assert.Equal(BatchPhase.Uploading, uploaded.Phase);
        Assert.Equal([2, 3], second.OfType<UploadPartCall>().Select(c => c.PartIndex));
        Assert.Equal([0, 1], second.OfType<CreateJobCall>().Select(c => c.PartIndex));
    }

    [Fact]
    public void Decide_JobsRunningWhileOtherPartsUpload_PollsAndCollectsThemMeanwhile()
    {
        var uploaded = Evolve(Evolve(Staged(4), new UploadPartCall("id", 0, "staging", "part-0"), new UploadedPayload("file-0")), new UploadPartCall("id", 1, "staging", "part-1"), new UploadedPayload("file-1"));
        var created = Evolve(Evolve(uploaded, new CreateJobCall("id", 0, "file-0", Settings), new JobCreatedPayload("job-0", "QUEUED")), new CreateJobCall("id", 1, "file-1", Settings), new JobCreatedPayload("job-1", "QUEUED"));
        var polledAt = T0;

        var step = Assert.IsType<RunActivities>(BatchDecider.Decide(created, polledAt, _options)).Calls;
        var polled = Evolve(created, step.OfType<PollJobsCall>().Single(), Jobs(Snapshot(0, "SUCCESS", 5, 5, output: "out-0"), Snapshot(1, "RUNNING", 5, 2)), polledAt);
        var next = Assert.IsType<RunActivities>(BatchDecider.Decide(polled, polledAt, _options)).Calls;

        Assert.Equal(BatchPhase.Uploading, created.Phase);
        Assert.Equal(["job-0", "job-1"], step.OfType<PollJobsCall>().Single().JobIds);
        Assert.Equal([2, 3], step.OfType<UploadPartCall>().Select(c => c.PartIndex));
        Assert.Equal(BatchPhase.Uploading, polled.Phase);
        Assert.Equal([0], next.OfType<CollectPartCall>().Select(c => c.PartIndex));
    }

    [Fact]
    public void Decide_CancelWhileSomePartsStillUpload_StopsUploadingAndCancelsTheJobsThatExist()
    {
        var uploaded = Evolve(Staged(3), new UploadPartCall("id", 0, "staging", "part-0"), new UploadedPayload("file-0"));
        var created = Evolve(uploaded, new CreateJobCall("id", 0, "file-0", Settings), new JobCreatedPayload("job-0", "RUNNING"));

        var cancel = Single<CancelJobsCall>(Decide(BatchDecider.RequestCancel(created)));
        var cancelled = Evolve(BatchDecider.RequestCancel(created), cancel, Jobs(Snapshot(0, "CANCELLED", 5, 1)));
        var collect = Single<CollectPartCall>(Decide(cancelled));
        var finalize = Single<FinalizeCall>(Decide(Evolve(cancelled, collect, new CollectedPayload(false, false))));

        Assert.Equal(["job-0"], cancel.JobIds);
        Assert.Equal(BatchOutcome.Cancelled, finalize.Outcome);
    }

    [Fact]
    public void Evolve_JobCreatedLongAfterTheFirst_PollsItAtOnceAndBacksOffFromItsOwnCreation()
    {
        // Parts are created one after another: the last one must not wait out the first one's long schedule.
        var uploaded = Evolve(Staged(2), new UploadPartCall("id", 0, "staging", "part-0"), new UploadedPayload("file-0"));
        var first = Evolve(uploaded, new CreateJobCall("id", 0, "file-0", Settings), new JobCreatedPayload("job-0", "QUEUED"));
        var late = T0 + TimeSpan.FromSeconds(30);
        var polled = Evolve(first, new PollJobsCall("id", ["job-0"]), Jobs(Snapshot(0, "QUEUED", 5, 0)), late);
        var second = Evolve(
            Evolve(polled, new UploadPartCall("id", 1, "staging", "part-1"), new UploadedPayload("file-1"), late),
            new CreateJobCall("id", 1, "file-1", Settings),
            new JobCreatedPayload("job-1", "QUEUED"),
            late);
        var polledAgain = Evolve(second, new PollJobsCall("id", ["job-0", "job-1"]), Jobs(Snapshot(0, "QUEUED", 5, 0), Snapshot(1, "QUEUED", 5, 0)), late);

        Assert.Equal(late + _options.MinPollDelay, polled.Poll!.NextPollAt);
        Assert.Equal(late, second.Poll!.NextPollAt);
        Assert.Equal(late + _options.FirstPollDelay, polledAgain.Poll!.NextPollAt);
    }

    [Fact]
    public void Evolve_JobCreatedWhileAPollOfTheOthersWasOnItsWay_IsPolledAtOnceAfterIt()
    {
        var uploaded = Evolve(Staged(2), new UploadPartCall("id", 0, "staging", "part-0"), new UploadedPayload("file-0"));
        var first = Evolve(uploaded, new CreateJobCall("id", 0, "file-0", Settings), new JobCreatedPayload("job-0", "QUEUED"));
        var poll = Assert.Single(Assert.IsType<RunActivities>(BatchDecider.Decide(first, T0, _options)).Calls.OfType<PollJobsCall>());
        var second = Evolve(
            Evolve(first, new UploadPartCall("id", 1, "staging", "part-1"), new UploadedPayload("file-1")),
            new CreateJobCall("id", 1, "file-1", Settings),
            new JobCreatedPayload("job-1", "QUEUED"));
        var answered = T0 + TimeSpan.FromSeconds(2);

        var polled = Evolve(second, poll, Jobs(Snapshot(0, "QUEUED", 5, 0)), answered);
        var polledAgain = Evolve(polled, new PollJobsCall("id", ["job-0", "job-1"]), Jobs(Snapshot(0, "QUEUED", 5, 0), Snapshot(1, "QUEUED", 5, 0)), answered);

        Assert.Equal(["job-0"], poll.JobIds);
        Assert.Equal(answered, polled.Poll!.NextPollAt);
        Assert.True(polledAgain.Poll!.NextPollAt > answered);
    }

    [Fact]
    public void Decide_OneJobEndedOthersRunningAndPollDue_CollectsItAndPollsTheOthersInOneStep()
    {
        var polled = Evolve(Polling(2), new PollJobsCall("id", ["job-0", "job-1"]), Jobs(Snapshot(0, "SUCCESS", 5, 5, output: "out-0"), Snapshot(1, "RUNNING", 5, 2)), T0);
        var due = polled.Poll!.NextPollAt;

        var calls = Assert.IsType<RunActivities>(BatchDecider.Decide(polled, due, _options)).Calls;

        Assert.Equal([0], calls.OfType<CollectPartCall>().Select(c => c.PartIndex));
        Assert.Equal(["job-1"], Assert.Single(calls.OfType<PollJobsCall>()).JobIds);
        Assert.Equal([0], Calls<CollectPartCall>(BatchDecider.Decide(polled, T0, _options)).Select(c => c.PartIndex));
    }

    [Fact]
    public void Evolve_AllUploaded_CreatesJobsThenPollsThemAtOnce()
    {
        var uploaded = Uploaded(2);
        var creates = Calls<CreateJobCall>(Decide(uploaded));
        var created = creates.Aggregate(uploaded, (s, c) => Evolve(s, c, new JobCreatedPayload($"job-{c.PartIndex}", "QUEUED")));

        Assert.Equal(BatchPhase.Creating, uploaded.Phase);
        Assert.Equal(["file-0", "file-1"], creates.Select(c => c.FileId));
        Assert.Equal(BatchPhase.Polling, created.Phase);
        Assert.Equal(["job-0", "job-1"], Single<PollJobsCall>(BatchDecider.Decide(created, T0, _options)).JobIds);
    }

    [Fact]
    public void Evolve_PollWithProgress_SchedulesTheNextPollAndKeepsCounts()
    {
        var polling = Polling(1);
        var poll = Single<PollJobsCall>(BatchDecider.Decide(polling, T0 + TimeSpan.FromMinutes(1), _options));

        var state = Evolve(polling, poll, Jobs(Snapshot(0, "RUNNING", total: 10, completed: 4)), T0 + TimeSpan.FromMinutes(1));

        Assert.Equal(BatchPhase.Polling, state.Phase);
        Assert.Equal(4, state.Parts[0].Completed);
        Assert.Equal(1, state.Poll!.Polls);
        Assert.IsType<WaitUntil>(BatchDecider.Decide(state, T0 + TimeSpan.FromMinutes(1), _options));
        Assert.Equal(40, BatchStatus.From(state, T0 + TimeSpan.FromMinutes(1)).PercentDone);
    }

    [Fact]
    public void Evolve_JobsEnd_CollectsEachThenFinalizesSucceeded()
    {
        var state = Evolve(Polling(2), new PollJobsCall("id", ["job-0", "job-1"]), Jobs(Snapshot(0, "SUCCESS", 5, 5, output: "out-0"), Snapshot(1, "SUCCESS", 5, 5, output: "out-1", error: "err-1")));
        var collects = Calls<CollectPartCall>(Decide(state));
        var collected = collects.Aggregate(state, (s, c) => Evolve(s, c, new CollectedPayload(true, c.ErrorFileId is not null)));
        var finalize = Single<FinalizeCall>(Decide(collected));
        var done = Evolve(collected, finalize, new FinishedPayload(new BatchOutputs("r", null, "s")));

        Assert.Equal(BatchPhase.Collecting, state.Phase);
        Assert.Equal([("out-0", (string?)null), ("out-1", "err-1")], collects.Select(c => (c.OutputFileId!, c.ErrorFileId)));
        Assert.Equal(BatchPhase.Finalizing, collected.Phase);
        Assert.Equal(BatchOutcome.Succeeded, finalize.Outcome);
        Assert.Equal((BatchPhase.Completed, BatchOutcome.Succeeded), (done.Phase, done.Outcome));
    }

    [Fact]
    public void Evolve_ReusedJobThatAlreadySucceeded_CollectsItsFilesByJobId()
    {
        var reused = Evolve(Uploaded(1), new CreateJobCall("id", 0, "file-0", Settings), new JobCreatedPayload("job-0", "SUCCESS", Snapshot(0, "SUCCESS", 5, 5, output: "out-0")));

        var collect = Single<CollectPartCall>(Decide(reused));

        Assert.Equal(("job-0", "out-0"), (collect.JobId, collect.OutputFileId));
        Assert.Equal(5, reused.Parts[0].Succeeded);
    }

    [Fact]
    public void Decide_JobReportsResultsButNoOutputFileWasCollected_FinalizesFailedNotSucceeded()
    {
        // A job seen as SUCCESS without its files (an older record, or a reuse that carried only the status).
        var state = Evolve(Polling(1), new PollJobsCall("id", ["job-0"]), Jobs(Snapshot(0, "SUCCESS", 5, 5)));
        var collected = Evolve(state, Single<CollectPartCall>(Decide(state)), new CollectedPayload(false, false));

        var finalize = Single<FinalizeCall>(Decide(collected));

        Assert.Equal(BatchOutcome.Failed, finalize.Outcome);
        Assert.Contains("not collected", finalize.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Evolve_CollectReadsTheJobAgain_UsesItsCurrentFiles()
    {
        var state = Evolve(Polling(1), new PollJobsCall("id", ["job-0"]), Jobs(Snapshot(0, "SUCCESS", 5, 5)));
        var collected = Evolve(state, Single<CollectPartCall>(Decide(state)), new CollectedPayload(true, false, Snapshot(0, "SUCCESS", 5, 5, output: "out-0")));

        Assert.Equal("out-0", collected.Parts[0].OutputFileId);
        Assert.Equal(BatchOutcome.Succeeded, Single<FinalizeCall>(Decide(collected)).Outcome);
    }

    [Fact]
    public void Evolve_FinalizeFoundMissingResults_CompletesWithItsOutcome()
    {
        var state = Collected(Evolve(Polling(1), new PollJobsCall("id", ["job-0"]), Jobs(Snapshot(0, "SUCCESS", 5, 5, output: "out-0"))));
        var finalize = Single<FinalizeCall>(Decide(state));

        var done = Evolve(state, finalize, new FinishedPayload(new BatchOutputs("r", "e", "s"), BatchOutcome.Failed, "2 of 5 requests have no result"));

        Assert.Equal((BatchOutcome.Succeeded, BatchOutcome.Failed), (finalize.Outcome, done.Outcome!.Value));
        Assert.Equal("2 of 5 requests have no result", done.Failure);
    }

    [Fact]
    public void Decide_OneJobEndsBeforeTheOther_CollectsItAtOnce()
    {
        var state = Evolve(Polling(2), new PollJobsCall("id", ["job-0", "job-1"]), Jobs(Snapshot(0, "SUCCESS", 5, 5, output: "out-0"), Snapshot(1, "RUNNING", 5, 2)));

        Assert.Equal(0, Single<CollectPartCall>(Decide(state)).PartIndex);
        var collected = Evolve(state, new CollectPartCall("id", 0, "out-0", null), new CollectedPayload(true, false));
        Assert.Equal(BatchPhase.Polling, collected.Phase);
        Assert.IsType<WaitUntil>(Decide(collected));
    }

    [Fact]
    public void Evolve_CancellationRequestedIsNotTerminal_KeepsPolling()
    {
        var state = Evolve(Polling(1), new PollJobsCall("id", ["job-0"]), Jobs(Snapshot(0, "CANCELLATION_REQUESTED", 5, 2)));

        Assert.Equal(BatchPhase.Polling, state.Phase);
        Assert.IsType<WaitUntil>(Decide(state));
    }

    [Fact]
    public void Decide_MistralJobFailed_FinalizesFailedWithTheJobErrors()
    {
        var state = Collected(Evolve(Polling(1), new PollJobsCall("id", ["job-0"]), Jobs(Snapshot(0, "FAILED", 5, 2, errors: ["Capacity error (x2)"]))));

        var finalize = Single<FinalizeCall>(Decide(state));

        Assert.Equal(BatchOutcome.Failed, finalize.Outcome);
        Assert.Equal("Mistral job failed: Capacity error (x2)", finalize.Failure);
    }

    [Fact]
    public void Decide_MistralJobTimedOut_FinalizesTimedOut()
    {
        var state = Collected(Evolve(Polling(1), new PollJobsCall("id", ["job-0"]), Jobs(Snapshot(0, "TIMEOUT_EXCEEDED", 5, 2))));

        Assert.Equal(BatchOutcome.TimedOut, Single<FinalizeCall>(Decide(state)).Outcome);
    }

    [Fact]
    public void Decide_CancelBeforeAnyJob_FinalizesCancelledAtOnce()
    {
        var state = BatchDecider.RequestCancel(Staged(2));

        var finalize = Single<FinalizeCall>(Decide(state));

        Assert.Equal(BatchOutcome.Cancelled, finalize.Outcome);
    }

    [Fact]
    public void Decide_CancelWhileJobsRun_CancelsThenPollsUntilCancelledThenFinalizesCancelled()
    {
        var state = BatchDecider.RequestCancel(Polling(2));
        var cancel = Single<CancelJobsCall>(Decide(state));
        var sent = Evolve(state, cancel, Jobs(Snapshot(0, "CANCELLATION_REQUESTED", 5, 1), Snapshot(1, "CANCELLATION_REQUESTED", 5, 0)));
        var poll = Single<PollJobsCall>(BatchDecider.Decide(sent, T0 + TimeSpan.FromMinutes(5), _options));
        var cancelled = Evolve(sent, poll, Jobs(Snapshot(0, "CANCELLED", 5, 1, output: "out-0"), Snapshot(1, "CANCELLED", 5, 0)));
        var finalize = Single<FinalizeCall>(Decide(Collected(cancelled)));

        Assert.Equal(StopReason.Cancelled, cancel.Reason);
        Assert.True(sent.CancelSent);
        Assert.Equal(BatchOutcome.Cancelled, finalize.Outcome);
        Assert.Same(state, BatchDecider.RequestCancel(state));
    }

    [Fact]
    public void Decide_DeadlinePassesWhileJobsRun_CancelsForTheDeadlineAndEndsTimedOut()
    {
        var state = Polling(1);
        var late = state.Deadline!.Value + TimeSpan.FromSeconds(1);

        var cancel = Single<CancelJobsCall>(BatchDecider.Decide(state, late, _options));
        var sent = Evolve(state, cancel, Jobs(Snapshot(0, "CANCELLATION_REQUESTED", 5, 3)), late);
        var stuck = BatchDecider.Decide(sent, late + _options.StopGrace, _options);

        Assert.Equal(StopReason.Deadline, cancel.Reason);
        Assert.Equal(BatchOutcome.TimedOut, Single<FinalizeCall>(stuck).Outcome);
    }

    [Fact]
    public void Decide_WaitingForAPoll_WakesAtTheDeadlineIfItComesFirst()
    {
        // Polled at creation: the next poll is a first delay later, the deadline half of one.
        var polled = Evolve(Polling(1), new PollJobsCall("id", ["job-0"]), Jobs(Snapshot(0, "QUEUED", 5, 0)), T0);
        var state = polled with { Deadline = T0 + (_options.FirstPollDelay / 2) };

        Assert.Equal(new WaitUntil(T0 + (_options.FirstPollDelay / 2)), Decide(state));
    }

    [Fact]
    public void Evolve_RetryableFailure_WaitsWithBackoffThenRunsTheSameCallAgain()
    {
        var state = Uploaded(1);
        var create = Single<CreateJobCall>(Decide(state));

        var first = BatchDecider.Evolve(state, ActivityResult.Retry(create, "503") with { CompletedAt = T0 }, _options);
        var second = BatchDecider.Evolve(first, ActivityResult.Retry(create, "503") with { CompletedAt = T0 }, _options);
        var asked = BatchDecider.Evolve(state, ActivityResult.Retry(create, "429", TimeSpan.FromMinutes(2)) with { CompletedAt = T0 }, _options);

        Assert.Equal(new WaitUntil(T0 + _options.FirstRetryDelay), Decide(first));
        Assert.Equal(T0 + (_options.FirstRetryDelay * 2), second.Retry!.NotBefore);
        Assert.Equal(T0 + TimeSpan.FromMinutes(2), asked.Retry!.NotBefore);
        Assert.Equal(create, Single<CreateJobCall>(BatchDecider.Decide(first, T0 + _options.FirstRetryDelay, _options)));
        var recovered = Evolve(first, create, new JobCreatedPayload("job-0", "QUEUED"));
        Assert.Null(recovered.Retry);
    }

    [Fact]
    public void Evolve_RetryBudgetSpent_FailsTheBatch()
    {
        var state = Uploaded(1);
        var create = Single<CreateJobCall>(Decide(state));

        for (var attempt = 0; attempt < _options.MaxStepAttempts; attempt++)
        {
            state = BatchDecider.Evolve(state, ActivityResult.Retry(create, "503 Service Unavailable") with { CompletedAt = T0 }, _options);
        }

        var finalize = Single<FinalizeCall>(BatchDecider.Decide(state, T0 + TimeSpan.FromHours(1), _options));
        Assert.Equal(BatchOutcome.Failed, finalize.Outcome);
        Assert.Contains("gave up after 8 attempts", finalize.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Evolve_PermanentCreateFailureWithAnotherJobRunning_CancelsItAndEndsFailedWithTheServersMessage()
    {
        var state = Uploaded(2);
        var creates = Calls<CreateJobCall>(Decide(state));
        state = Evolve(state, creates[0], new JobCreatedPayload("job-0", "QUEUED"));
        state = BatchDecider.Evolve(state, ActivityResult.Fail(creates[1], "Mistral create batch job failed with 400: Invalid model: x") with { CompletedAt = T0 }, _options);

        var cancel = Single<CancelJobsCall>(Decide(state));
        var cancelled = Evolve(state, cancel, Jobs(Snapshot(0, "CANCELLED", 0, 0)));
        var finalize = Single<FinalizeCall>(Decide(Collected(cancelled)));

        Assert.Equal(StopReason.Failure, cancel.Reason);
        Assert.Equal(BatchOutcome.Failed, finalize.Outcome);
        Assert.Contains("Invalid model: x", finalize.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Evolve_PermanentFailureBeforeAnyJob_FinalizesFailed()
    {
        var state = BatchDecider.Evolve(Start(), ActivityResult.Fail(new ValidateInputCall("id", Source), "Storage: not found (BlobNotFound).") with { CompletedAt = T0 }, _options);

        var finalize = Single<FinalizeCall>(Decide(state));

        Assert.Equal(BatchOutcome.Failed, finalize.Outcome);
        Assert.Contains("BlobNotFound", finalize.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Evolve_FinalizeFailsPermanently_CompletesFailed()
    {
        var state = Collected(Evolve(Polling(1), new PollJobsCall("id", ["job-0"]), Jobs(Snapshot(0, "SUCCESS", 1, 1))));
        var finalize = Single<FinalizeCall>(Decide(state));

        var done = BatchDecider.Evolve(state, ActivityResult.Fail(finalize, "Storage: 403 AuthorizationFailure") with { CompletedAt = T0 }, _options);

        Assert.Equal((BatchPhase.Completed, BatchOutcome.Failed), (done.Phase, done.Outcome));
    }

    [Fact]
    public void Evolve_JobsCanNoLongerBeSeenOrCancelled_FinalizesFailedInsteadOfLooping()
    {
        var state = Polling(1);
        var poll = Single<PollJobsCall>(BatchDecider.Decide(state, T0 + TimeSpan.FromMinutes(1), _options));
        var lost = BatchDecider.Evolve(state, ActivityResult.Fail(poll, "Mistral get batch job failed with 404: not found") with { CompletedAt = T0 }, _options);
        var cancel = new CancelJobsCall("id", ["job-0"], StopReason.Failure);
        var uncancellable = BatchDecider.Evolve(BatchDecider.RequestCancel(state), ActivityResult.Fail(cancel, "404") with { CompletedAt = T0 }, _options);

        Assert.Equal(BatchOutcome.Failed, Single<FinalizeCall>(Decide(lost)).Outcome);
        Assert.Contains("404", Single<FinalizeCall>(Decide(lost)).Failure, StringComparison.Ordinal);
        Assert.IsType<FinalizeCall>(Assert.Single(Assert.IsType<RunActivities>(Decide(uncancellable)).Calls));
    }

    [Fact]
    public void Evolve_CollectFailsPermanently_MovesOnAndEndsFailed()
    {
        var state = Evolve(Polling(2), new PollJobsCall("id", ["job-0", "job-1"]), Jobs(Snapshot(0, "SUCCESS", 5, 5, output: "gone"), Snapshot(1, "SUCCESS", 5, 5, output: "out-1")));
        var collects = Calls<CollectPartCall>(Decide(state));

        var afterFirst = BatchDecider.Evolve(state, ActivityResult.Fail(collects[0], "404 file expired") with { CompletedAt = T0 }, _options);
        var afterBoth = Evolve(afterFirst, collects[1], new CollectedPayload(true, false));

        Assert.Equal(BatchPhase.Finalizing, afterBoth.Phase);
        Assert.Equal(BatchOutcome.Failed, Single<FinalizeCall>(Decide(afterBoth)).Outcome);
    }

    [Fact]
    public void State_RoundTripsThroughJson_AndDecidesTheSame()
    {
        var state = Evolve(Polling(2), new PollJobsCall("id", ["job-0", "job-1"]), Jobs(Snapshot(0, "RUNNING", 5, 2), Snapshot(1, "QUEUED", 0, 0)));

        var json = JsonSerializer.Serialize(state, BatchJsonContext.Default.BatchState);
        var back = JsonSerializer.Deserialize(json, BatchJsonContext.Default.BatchState)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, BatchJsonContext.Default.BatchState));
        Assert.Equal(Decide(state), Decide(back));
        Assert.Contains("\"phase\": \"Polling\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Calls_RoundTripThroughJson_WithTheirActivityName()
    {
        ActivityCall call = new CreateJobCall("id", 3, "file", Settings);

        var json = JsonSerializer.Serialize(call, BatchJsonContext.Default.ActivityCall);
        var back = JsonSerializer.Deserialize(json, BatchJsonContext.Default.ActivityCall);

        Assert.Contains("\"activity\": \"CreateJob\"", json, StringComparison.Ordinal);
        Assert.Equal(call.StepKey, back!.StepKey);
        Assert.Equal("CreateJob:3", back.StepKey);
    }

    private static BatchState Start() => BatchState.Start("id", Source, T0);

    private BatchStep Decide(BatchState state) => BatchDecider.Decide(state, T0, _options);

    private BatchState Evolve(BatchState state, ActivityResult result) => BatchDecider.Evolve(state, result with { CompletedAt = T0 }, _options);

    private BatchState Evolve(BatchState state, ActivityCall call, ActivityPayload payload, DateTimeOffset? at = null) =>
        BatchDecider.Evolve(state, ActivityResult.Success(call, payload) with { CompletedAt = at ?? T0 }, _options);

    private static ActivityResult Valid() => ActivityResult.Success(new ValidateInputCall("id", Source), new ValidatedPayload(true, 10, 1000, 0, null, Settings));

    private BatchState Staged(int parts) => Evolve(
        Evolve(Start(), Valid()),
        new StagePartsCall("id", Source, 10, 1000),
        new StagedPayload([.. Enumerable.Range(0, parts).Select(i => new StagedPart(i, "staging", $"part-{i}", 5, 500))]));

    private BatchState Uploaded(int parts) =>
        Enumerable.Range(0, parts).Aggregate(Staged(parts), (s, i) => Evolve(s, new UploadPartCall("id", i, "staging", $"part-{i}"), new UploadedPayload($"file-{i}")));

    private BatchState Polling(int parts) =>
        Enumerable.Range(0, parts).Aggregate(Uploaded(parts), (s, i) => Evolve(s, new CreateJobCall("id", i, $"file-{i}", Settings), new JobCreatedPayload($"job-{i}", "QUEUED")));

    private BatchState Collected(BatchState state) =>
        state.Parts.Where(p => p.IsTerminal).Aggregate(state, (s, p) => Evolve(s, new CollectPartCall("id", p.Index, p.OutputFileId, p.ErrorFileId), new CollectedPayload(true, false)));

    private static JobsPayload Jobs(params JobSnapshot[] jobs) => new(jobs);

    private static JobSnapshot Snapshot(int part, string status, int total, int completed, string? output = null, string? error = null, IReadOnlyList<string>? errors = null) =>
        new($"job-{part}", status, total, completed, completed, 0, output, error, errors ?? [], T0);

    private static T Single<T>(BatchStep step) => Assert.IsType<T>(Assert.Single(Assert.IsType<RunActivities>(step).Calls));

    private static List<T> Calls<T>(BatchStep step) => [.. Assert.IsType<RunActivities>(step).Calls.Select(c => Assert.IsType<T>(c))];
}
