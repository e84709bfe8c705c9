using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Runner;

/// <summary>
/// What a listing of the state container tells of one batch without reading its record: enough to pick due
/// batches, filter and sort lists, and expire old ones.
/// </summary>
/// <param name="Id">The batch's instance id.</param>
/// <param name="Phase">Its phase.</param>
/// <param name="Outcome">How it ended, once it has.</param>
/// <param name="WakeAt">When it next needs a step; null once finished.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="CompletedAt">When it finished.</param>
public sealed record InstanceEntry(string Id, BatchPhase Phase, BatchOutcome? Outcome, DateTimeOffset? WakeAt, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt)
{
    /// <summary>Whether the batch needs a step at <paramref name="now"/>.</summary>
    public bool IsDue(DateTimeOffset now) => Phase != BatchPhase.Completed && WakeAt is { } wake && wake <= now;
}
