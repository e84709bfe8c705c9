namespace BatchFunctions.Core.Workflow;

/// <summary>
/// When to poll next. Before any progress (queued, validating) the wait grows with the time since the jobs
/// were created (three eighths of it, between the minimum and the ceiling), so a long job is not polled every
/// few seconds. Once requests complete, the wait is aimed by the estimated completion: half the estimated
/// time left (so an estimate that was too pessimistic is corrected before it costs much), and when the end
/// is closer than the minimum wait, just past it. A stalled job's estimate grows as its average rate falls,
/// so a stall is not polled hard either.
/// </summary>
public static class PollPolicy
{
    /// <summary>The share of the elapsed time waited when no progress tells us better.</summary>
    public const double ElapsedShare = 3.0 / 8;

    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

    /// <summary>The wait after a poll made at <paramref name="now"/> that saw these counts over all unfinished jobs.</summary>
    public static TimeSpan NextDelay(
        WorkflowOptions options,
        DateTimeOffset since,
        DateTimeOffset now,
        long total,
        long completed,
        DateTimeOffset? startedAt,
        long lastCompleted,
        DateTimeOffset? lastPollAt)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (total > 0 && completed > 0 && completed < total && startedAt is { } started && now > started)
        {
            // The faster of the average and the latest rate: a job speeding up is not waited past its end.
            var overall = completed / (now - started).TotalSeconds;
            var recent = lastPollAt is { } last && now > last && completed > lastCompleted ? (completed - lastCompleted) / (now - last).TotalSeconds : 0;
            var rate = Math.Max(overall, recent);
            var left = TimeSpan.FromSeconds((total - completed) / rate);
            if (left <= options.MinPollDelay)
            {
                return left + Margin;
            }

            return Clamp(left / 2, options.MinPollDelay, options.MaxPollDelay);
        }

        // The first poll comes as the jobs are created, then the wait doubles from the first delay up to the
        // minimum (polls at 0, 1, 2, 4, 8, 16 s): a job done at once is seen at once, not a second later. Then
        // it is a share of the elapsed time; that share is a little over a third so that the poll at creation
        // is won back over a long job (the polling table's bounds hold).
        var elapsed = now - since;
        return elapsed < options.MinPollDelay
            ? Clamp(elapsed, options.FirstPollDelay, options.MinPollDelay)
            : Clamp(elapsed * ElapsedShare, options.MinPollDelay, options.MaxPollDelay);
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan minimum, TimeSpan maximum) =>
        value < minimum ? minimum : value > maximum ? maximum : value;
}
