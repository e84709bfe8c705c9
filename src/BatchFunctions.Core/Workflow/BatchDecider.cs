using System.Globalization;
using BatchFunctions.Core.Mistral;

namespace BatchFunctions.Core.Workflow;

/// <summary>
/// The workflow as a pure state machine: <see cref="Decide"/> says what to do next, <see cref="Evolve"/>
/// folds an activity's result into the state. No clock, no random source, no I/O: time comes in as an
/// argument (the orchestration's replay-safe time under Durable Functions), so the same decisions are made
/// on every replay and by every host.
/// </summary>
public static class BatchDecider
{
    /// <summary>What to do next for <paramref name="state"/> at <paramref name="now"/>.</summary>
    public static BatchStep Decide(BatchState state, DateTimeOffset now, WorkflowOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        if (state.Phase == BatchPhase.Completed)
        {
            return new FinishBatch(state.Outcome ?? BatchOutcome.Failed);
        }

        var stopping = StopReasonAt(state, now);
        var hasJobs = state.Parts.Any(p => p.JobId is not null);

        // Before any job exists, stopping costs nothing: finalize straight away.
        if (stopping is { } early && !hasJobs && state.Phase is not (BatchPhase.Rejected or BatchPhase.Finalizing))
        {
            return Finalize(state, early);
        }

        if (state.Retry is { } retry && now < retry.NotBefore && stopping is null)
        {
            return new WaitUntil(retry.NotBefore);
        }

        return state.Phase switch
        {
            BatchPhase.Validating => Run(new ValidateInputCall(state.InstanceId, state.Source)),
            BatchPhase.Rejected => Run(new RejectInputCall(state.InstanceId, state.Source)),
            BatchPhase.Staging => Run(new StagePartsCall(state.InstanceId, state.Source, state.Requests, state.Bytes)),
            BatchPhase.Uploading or BatchPhase.Creating when stopping is null => DecidePipeline(state, now, options),
            BatchPhase.Uploading or BatchPhase.Creating or BatchPhase.Polling or BatchPhase.Collecting => DecideWhileJobsRun(state, now, options, stopping),
            _ => Finalize(state, stopping),
        };
    }

    /// <summary>Folds one activity result into the state.</summary>
    public static BatchState Evolve(BatchState state, ActivityResult result, WorkflowOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(options);
        state = state with { Steps = state.Steps + 1 };
        return result.Status switch
        {
            ActivityStatus.Retryable => ScheduleRetry(state, result, options),
            ActivityStatus.Waiting => ScheduleRetry(state, result, options, spendsAnAttempt: false),
            ActivityStatus.Permanent => FailStep(state, result),
            _ => Apply(state, result, options),
        };
    }

    /// <summary>Records a cancel request; the next decision acts on it. Safe to repeat.</summary>
    public static BatchState RequestCancel(BatchState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Phase == BatchPhase.Completed || state.CancelRequested ? state : state with { CancelRequested = true };
    }

    /// <summary>
    /// While parts are still being uploaded or their jobs created: each part goes on as soon as it can (a part
    /// uploaded gets its job in the next step, whatever the others do), the jobs already created are polled
    /// and collected meanwhile, and each kind of call is bounded by <see cref="WorkflowOptions.MaxParallelParts"/>.
    /// </summary>
    private static BatchStep DecidePipeline(BatchState state, DateTimeOffset now, WorkflowOptions options)
    {
        var calls = new List<ActivityCall>();
        calls.AddRange(state.Parts
            .Where(p => p.FileId is null)
            .Take(options.MaxParallelParts)
            .Select(ActivityCall (p) => p.Offset is { } offset
                ? new UploadPartCall(state.InstanceId, p.Index, p.Container, p.BlobName, offset, p.Bytes, state.Source.ETag)
                : new UploadPartCall(state.InstanceId, p.Index, p.Container, p.BlobName)));
        calls.AddRange(state.Parts
            .Where(p => p.FileId is not null && p.JobId is null)
            .Take(options.MaxParallelParts)
            .Select(ActivityCall (p) => new CreateJobCall(state.InstanceId, p.Index, p.FileId!, state.Settings!, state.StartedAt, p.Requests)));
        var withJobs = state.Parts.Where(p => p.JobId is not null).ToList();
        calls.AddRange(CollectCalls(state, withJobs, options));
        var active = withJobs.Where(p => !p.IsTerminal).Select(p => p.JobId!).ToList();
        if (active.Count > 0 && state.Poll is { } poll && now >= poll.NextPollAt)
        {
            calls.Add(new PollJobsCall(state.InstanceId, active, state.StartedAt));
        }

        // Nothing to start (every part is uploaded and has its job, or is waiting on a retry): only the next poll is left.
        return calls.Count > 0 ? Run(calls) : WaitForPoll(state, now);
    }

    /// <summary>Download at once: results may be kept only 24 hours after a job ends.</summary>
    private static IEnumerable<ActivityCall> CollectCalls(BatchState state, IEnumerable<PartState> withJobs, WorkflowOptions options) => withJobs
        .Where(p => p.IsTerminal && !p.Collected)
        .Take(options.MaxParallelParts)
        .Select(ActivityCall (p) => new CollectPartCall(state.InstanceId, p.Index, p.OutputFileId, p.ErrorFileId, p.JobId, p));

    /// <summary>Waits for the next poll, or for the deadline when it comes first.</summary>
    private static WaitUntil WaitForPoll(BatchState state, DateTimeOffset now)
    {
        var next = state.Poll?.NextPollAt ?? now;
        return new WaitUntil(state.Deadline is { } limit && limit > now && limit < next ? limit : next);
    }

    private static BatchStep DecideWhileJobsRun(BatchState state, DateTimeOffset now, WorkflowOptions options, StopReason? stopping)
    {
        var withJobs = state.Parts.Where(p => p.JobId is not null).ToList();
        var collects = CollectCalls(state, withJobs, options).ToList();
        var active = withJobs.Where(p => !p.IsTerminal).Select(p => p.JobId!).ToList();
        if (collects.Count > 0)
        {
            // The jobs still running are polled meanwhile when their poll is due: a collect of a large part must
            // not hold back seeing the others end (on the emulator, a poll that processes them).
            if (stopping is null && active.Count > 0 && IsPollDue(state, now))
            {
                collects.Add(new PollJobsCall(state.InstanceId, active, state.StartedAt));
            }

            return Run(collects);
        }

        if (active.Count == 0)
        {
            return Finalize(state, stopping);
        }

        if (stopping is { } reason && !state.CancelSent)
        {
            return Run(new CancelJobsCall(state.InstanceId, active, reason));
        }

        // Mistral was asked to stop and has not: after a grace period, finalize with what exists.
        if (state.CancelSent && state.Deadline is { } deadline && now >= deadline + options.StopGrace)
        {
            return Finalize(state, StopReason.Deadline);
        }

        return IsPollDue(state, now) ? Run(new PollJobsCall(state.InstanceId, active, state.StartedAt)) : WaitForPoll(state, now);
    }

    private static bool IsPollDue(BatchState state, DateTimeOffset now) => now >= (state.Poll?.NextPollAt ?? now);

    private static BatchState Apply(BatchState state, ActivityResult result, WorkflowOptions options)
    {
        state = state.Retry?.Step == result.Call.StepKey ? state with { Retry = null } : state;
        var at = result.CompletedAt;
        switch (result.Call, result.Payload)
        {
            case (ValidateInputCall, ValidatedPayload { IsValid: false } invalid):
                return state with { Phase = BatchPhase.Rejected, Requests = invalid.Requests, Failure = invalid.Rejection ?? "the input is invalid" };
            case (ValidateInputCall, ValidatedPayload valid):
                // Parts planned while validating go straight to upload; a validation recorded without them is split next.
                return state with
                {
                    Phase = valid.Parts is null ? BatchPhase.Staging : BatchPhase.Uploading,
                    Parts = valid.Parts is null ? state.Parts : PartsOf(valid.Parts),
                    Settings = valid.Settings,
                    Requests = valid.Requests,
                    Bytes = valid.Bytes,
                    Deadline = state.StartedAt + TimeSpan.FromHours(valid.Settings!.TimeoutHours) + options.DeadlineGrace,
                };
            case (RejectInputCall, FinishedPayload rejected):
                return Complete(state, BatchOutcome.Rejected, rejected.Outputs, rejected.CompletedAt ?? at);
            case (StagePartsCall, StagedPayload staged):
                return state with
                {
                    Phase = BatchPhase.Uploading,
                    Parts = PartsOf(staged.Parts),
                };
            case (UploadPartCall upload, UploadedPayload uploaded):
                state = UpdatePart(state, upload.PartIndex, p => p with { FileId = uploaded.FileId });
                return state with { Phase = PipelinePhase(state) ?? state.Phase };
            case (CreateJobCall create, JobCreatedPayload created):
                // A reused job may have ended already: its snapshot carries the files to collect.
                state = created.Job is { } job
                    ? UpdatePart(state, create.PartIndex, p => WithSnapshot(p with { JobId = created.JobId }, job))
                    : UpdatePart(state, create.PartIndex, p => p with { JobId = created.JobId, JobStatus = created.Status });

                // Polling starts with the first job, not the last, and each new job is polled as it is created,
                // with the early schedule starting over from it: parts created one after another would otherwise
                // wait out the first job's long delays (a job done at once was seen 15 s late).
                state = state with
                {
                    Poll = state.Poll is { } poll
                        ? poll with { Since = at, NextPollAt = Min(poll.NextPollAt, at) }
                        : new PollState(at, at),
                };
                return state with { Phase = PipelinePhase(state) ?? BatchPhase.Polling };
            case (PollJobsCall pollCall, JobsPayload polled):
                return AfterPoll(ApplySnapshots(state, polled.Jobs), pollCall.JobIds, at, options);
            case (CancelJobsCall cancel, JobsPayload cancelled):
                state = ApplySnapshots(state, cancelled.Jobs) with { CancelSent = true, Stop = state.Stop ?? cancel.Reason };
                return state with { Poll = (state.Poll ?? new PollState(at, at)) with { NextPollAt = at + options.MinPollDelay } };
            case (CollectPartCall collect, CollectedPayload collected):
                return AfterCollect(UpdatePart(state, collect.PartIndex, p => (collected.Job is { } seen ? WithSnapshot(p, seen) : p) with { Collected = true, Merged = collected.Merged }));
            case (FinalizeCall finalize, FinishedPayload finished):
                // summary.json's completed_at and the status's are one instant: the one finalize wrote.
                return Complete(state, finished.Outcome ?? finalize.Outcome, finished.Outputs, finished.CompletedAt ?? at) with { Failure = finished.Failure ?? finalize.Failure ?? state.Failure, Cost = finished.Cost };
            default:
                throw new InvalidOperationException($"No transition for {result.Call.Name} with {result.Payload?.GetType().Name ?? "no payload"} in phase {state.Phase}.");
        }
    }

    private static IReadOnlyList<PartState> PartsOf(IEnumerable<StagedPart> parts) =>
        [.. parts.Select(p => new PartState(p.Index, p.Container, p.BlobName, p.Requests, p.Bytes, Offset: p.Offset, FirstRequest: p.FirstRequest))];

    /// <summary>The phase while some part still waits for its upload or its job; null once every part has its job.</summary>
    private static BatchPhase? PipelinePhase(BatchState state) =>
        state.Parts.Any(p => p.FileId is null) ? BatchPhase.Uploading
        : state.Parts.Any(p => p.JobId is null) ? BatchPhase.Creating
        : null;

    private static BatchState AfterCollect(BatchState state) =>
        state.Phase is not (BatchPhase.Uploading or BatchPhase.Creating) && state.Parts.Where(p => p.JobId is not null).All(p => p.Collected && p.IsTerminal)
            ? state with { Phase = BatchPhase.Finalizing }
            : state;

    private static BatchState AfterPoll(BatchState state, IReadOnlyList<string> polledJobIds, DateTimeOffset at, WorkflowOptions options)
    {
        var withJobs = state.Parts.Where(p => p.JobId is not null).ToList();
        var phase = PipelinePhase(state);
        if (withJobs.All(p => p.IsTerminal))
        {
            return state with { Phase = phase ?? BatchPhase.Collecting, Poll = state.Poll! with { Polls = state.Poll.Polls + 1, LastPollAt = at } };
        }

        var active = withJobs.Where(p => !p.IsTerminal).ToList();
        long total = active.Sum(p => p.Total);
        long completed = active.Sum(p => p.Completed);
        var started = active.All(p => p.StartedAt is not null) ? active.Min(p => p.StartedAt) : null;
        var poll = state.Poll ?? new PollState(at, at);
        var delay = PollPolicy.NextDelay(options, poll.Since, at, total, completed, started, poll.LastCompleted, poll.LastPollAt);

        // A job created while this poll was on its way has not been read yet: it is polled at once, as every new
        // job is (on the emulator nine jobs of a 1M batch waited 1.9 s for the backoff of the first one's poll).
        var unread = active.Any(p => !polledJobIds.Contains(p.JobId!, StringComparer.Ordinal));
        return state with
        {
            Phase = phase ?? BatchPhase.Polling,
            Poll = poll with { Polls = poll.Polls + 1, LastPollAt = at, LastCompleted = completed, NextPollAt = unread ? at : at + delay },
        };
    }

    private static BatchState ApplySnapshots(BatchState state, IReadOnlyList<JobSnapshot> jobs)
    {
        var byId = jobs.ToDictionary(j => j.JobId, StringComparer.Ordinal);
        return state with
        {
            Parts = [.. state.Parts.Select(p => p.JobId is not null && byId.TryGetValue(p.JobId, out var job) ? WithSnapshot(p, job) : p)],
        };
    }

    private static PartState WithSnapshot(PartState part, JobSnapshot job) => part with
    {
        JobStatus = job.Status,
        Total = job.Total,
        Completed = job.Completed,
        Succeeded = job.Succeeded,
        Failed = job.Failed,
        OutputFileId = job.OutputFileId ?? part.OutputFileId,
        ErrorFileId = job.ErrorFileId ?? part.ErrorFileId,
        JobErrors = job.Errors.Count > 0 ? job.Errors : part.JobErrors,
        StartedAt = job.StartedAt ?? part.StartedAt,
    };

    private static BatchState ScheduleRetry(BatchState state, ActivityResult result, WorkflowOptions options, bool spendsAnAttempt = true)
    {
        var key = result.Call.StepKey;
        var attempts = state.Retry?.Step == key ? state.Retry.Attempts + 1 : 1;
        if (spendsAnAttempt && attempts >= options.MaxStepAttempts)
        {
            return FailStep(state, result with { Error = string.Create(CultureInfo.InvariantCulture, $"{result.Error} (gave up after {attempts} attempts)") });
        }

        var backoff = TimeSpan.FromTicks(Math.Min(options.MaxRetryDelay.Ticks, options.FirstRetryDelay.Ticks * (1L << Math.Min(attempts - 1, 20))));
        // A wait (for capacity, say) looks again when it was told to, however long it has waited already.
        var wait = result.RetryAfter is { } asked && (asked > backoff || !spendsAnAttempt) ? asked : backoff;
        return state with { Retry = new RetryState(key, attempts, result.CompletedAt + wait, result.Error ?? "transient failure") };
    }

    private static BatchState FailStep(BatchState state, ActivityResult result)
    {
        var failure = $"{result.Call.Name} failed: {result.Error}";
        return result.Call switch
        {
            // A batch that cannot finalize or reject has nothing left to try: it ends failed.
            FinalizeCall or RejectInputCall => Complete(state, BatchOutcome.Failed, state.Outputs ?? new BatchOutputs(), result.CompletedAt) with { Failure = failure },

            // Jobs that can no longer be seen or stopped cannot be waited for: finalize with what exists.
            PollJobsCall or CancelJobsCall => state with { Failure = state.Failure ?? failure, Stop = state.Stop ?? StopReason.Failure, Retry = null, CancelSent = true, Phase = BatchPhase.Finalizing },

            // A job's files that cannot be fetched are lost to this batch; its requests count as missing.
            CollectPartCall collect => AfterCollect(UpdatePart(state, collect.PartIndex, p => p with { Collected = true }) with { Failure = state.Failure ?? failure, Stop = state.Stop ?? StopReason.Failure, Retry = null }),

            _ => state with { Failure = state.Failure ?? failure, Stop = state.Stop ?? StopReason.Failure, Retry = null },
        };
    }

    private static BatchState Complete(BatchState state, BatchOutcome outcome, BatchOutputs outputs, DateTimeOffset at) =>
        state with { Phase = BatchPhase.Completed, Outcome = outcome, Outputs = outputs, CompletedAt = at, Retry = null };

    private static StopReason? StopReasonAt(BatchState state, DateTimeOffset now) =>
        state.Stop
        ?? (state.CancelRequested ? StopReason.Cancelled : (StopReason?)null)
        ?? (state.Deadline is { } deadline && now >= deadline ? StopReason.Deadline : (StopReason?)null);

    private static RunActivities Finalize(BatchState state, StopReason? stopping)
    {
        var outcome = OutcomeOf(state, stopping);
        var failure = outcome == BatchOutcome.Failed ? state.Failure ?? (state.Parts.Any(p => p.JobStatus == BatchJobStatus.Failed.Value) ? JobFailure(state) : UncollectedFailure(state) ?? JobFailure(state)) : state.Failure;
        return new RunActivities([new FinalizeCall(state.InstanceId, state with { Phase = BatchPhase.Finalizing }, outcome, failure)]);
    }

    /// <summary>How the batch ends: a request or limit that stopped it wins; then what the jobs said.</summary>
    private static BatchOutcome OutcomeOf(BatchState state, StopReason? stopping) => (stopping ?? state.Stop) switch
    {
        StopReason.Cancelled => BatchOutcome.Cancelled,
        StopReason.Failure => BatchOutcome.Failed,
        StopReason.Deadline => BatchOutcome.TimedOut,
        _ when state.Parts.Any(p => p.JobStatus == BatchJobStatus.Failed.Value) => BatchOutcome.Failed,
        _ when state.Parts.Any(p => p.JobStatus == BatchJobStatus.TimeoutExceeded.Value) => BatchOutcome.TimedOut,
        _ when state.Parts.Any(p => p.JobStatus == BatchJobStatus.Cancelled.Value) => BatchOutcome.Cancelled,
        _ when state.Parts.Any(HasUncollectedResults) => BatchOutcome.Failed,
        _ => BatchOutcome.Succeeded,
    };

    /// <summary>Mistral reports answers for the part, but the file that holds them was never collected: paid results a batch must not call a success.</summary>
    private static bool HasUncollectedResults(PartState part) =>
        part.Collected && ((part.Succeeded > 0 && part.OutputFileId is null) || (part.Failed > 0 && part.ErrorFileId is null));

    private static string? UncollectedFailure(BatchState state) =>
        state.Parts.FirstOrDefault(HasUncollectedResults) is { } part
            ? string.Create(CultureInfo.InvariantCulture, $"Part {part.Index} (job {part.JobId}): Mistral reports {part.Succeeded} succeeded and {part.Failed} failed requests, but their files were not collected.")
            : null;

    private static string? JobFailure(BatchState state)
    {
        var errors = state.Parts.Where(p => p.JobStatus == BatchJobStatus.Failed.Value).SelectMany(p => p.JobErrors ?? []).Distinct().ToList();
        return errors.Count == 0 ? "A Mistral job failed without an error message." : "Mistral job failed: " + string.Join("; ", errors);
    }

    private static BatchState UpdatePart(BatchState state, int index, Func<PartState, PartState> change) =>
        state with { Parts = [.. state.Parts.Select(p => p.Index == index ? change(p) : p)] };

    private static RunActivities Run(ActivityCall call) => new([call]);

    private static RunActivities Run(IEnumerable<ActivityCall> calls) => new([.. calls]);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
