namespace BatchFunctions.Core.Workflow;

/// <summary>
/// The status record both hosts return from their status endpoints (and the Durable custom status): ids,
/// counts, progress (in figures and in words, <see cref="BatchProgress"/>) and locations only, far below the
/// 16 KB custom-status limit. <c>priority</c> is where the batch queues for workspace capacity, once validated.
/// </summary>
public sealed record BatchStatus(
    string Id,
    BatchPhase Phase,
    BatchOutcome? Outcome,
    string InputContainer,
    string InputName,
    long Requests,
    long Completed,
    long Succeeded,
    long Failed,
    double? PercentDone,
    string Message,
    DateTimeOffset? EstimatedCompletion,
    IReadOnlyList<PartStatus> Parts,
    BatchOutputs? Outputs,
    string? Failure,
    string? LastError,
    bool CancelRequested,
    DateTimeOffset StartedAt,
    DateTimeOffset? CompletedAt,
    Pricing.BatchCost? Cost = null,
    string? ParentId = null,
    IReadOnlyList<string>? Retries = null,
    string? Priority = null)
{
    /// <summary>The status of <paramref name="state"/> as seen at <paramref name="now"/>.</summary>
    public static BatchStatus From(BatchState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var completed = state.Parts.Sum(p => (long)p.Completed);
        var requests = state.Requests;
        var succeeded = state.Parts.Sum(p => (long)p.Succeeded);
        var failed = state.Parts.Sum(p => (long)p.Failed);
        return new BatchStatus(
            state.InstanceId,
            state.Phase,
            state.Outcome,
            state.Source.Container,
            state.Source.Name,
            requests,
            completed,
            succeeded,
            failed,
            BatchProgress.Percent(state.Phase, state.Outcome, requests, completed),
            BatchProgress.Describe(state.Phase, state.Outcome, requests, completed, succeeded, failed, state.Failure, state.CancelRequested && state.Phase != BatchPhase.Completed),
            Estimate(state, now, completed),
            [.. state.Parts.Select(p => new PartStatus(p.Index, p.JobId, p.JobStatus, p.Requests, p.Completed, p.Succeeded, p.Failed))],
            state.Outputs,
            state.Failure,
            state.Retry?.LastError,
            state.CancelRequested,
            state.StartedAt,
            state.CompletedAt,
            state.Cost,
            state.Settings?.ParentId,
            Priority: state.Settings is { } settings ? BatchPriorities.Format(settings.Priority) : null);
    }

    private static DateTimeOffset? Estimate(BatchState state, DateTimeOffset now, long completed)
    {
        var started = state.Parts.Where(p => p.StartedAt is not null).Select(p => p.StartedAt!.Value).DefaultIfEmpty().Min();
        if (state.Phase != BatchPhase.Polling || completed == 0 || started == default || now <= started)
        {
            return null;
        }

        var rate = completed / (now - started).TotalSeconds;
        return now + TimeSpan.FromSeconds((state.Requests - completed) / rate);
    }
}

/// <summary>One part's job in the status record.</summary>
public sealed record PartStatus(int Part, string? JobId, string? JobStatus, long Requests, long Completed, long Succeeded, long Failed);
