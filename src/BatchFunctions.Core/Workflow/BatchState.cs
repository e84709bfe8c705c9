namespace BatchFunctions.Core.Workflow;

/// <summary>
/// Everything the workflow knows about one batch: small (ids, counts, times), serialisable, and changed
/// only by <see cref="BatchDecider.Evolve"/> and <see cref="BatchDecider.RequestCancel"/>.
/// </summary>
/// <param name="SchemaVersion">Lets new code read state written by old code while a day-long batch runs through a deploy.</param>
/// <param name="InstanceId">The batch's stable id.</param>
/// <param name="Source">The input blob.</param>
/// <param name="StartedAt">When the batch started.</param>
/// <param name="Phase">Where it is.</param>
/// <param name="Parts">One entry per part and job; empty until staged.</param>
/// <param name="Settings">The job settings, known once validated.</param>
/// <param name="Requests">Requests in the input.</param>
/// <param name="Bytes">Bytes in the input.</param>
/// <param name="Deadline">When the batch gives up: the job timeout plus a grace period after the start.</param>
/// <param name="CancelRequested">A cancel was asked for (persisted, not only signalled).</param>
/// <param name="CancelSent">Mistral was asked to cancel the running jobs.</param>
/// <param name="Stop">Why the batch winds down early, if it does.</param>
/// <param name="Retry">A step waiting to be retried.</param>
/// <param name="Poll">The polling schedule.</param>
/// <param name="Outcome">How it ended, once completed.</param>
/// <param name="Failure">The error that failed it, in words (the server's message included).</param>
/// <param name="Outputs">Where its files are.</param>
/// <param name="CompletedAt">When it completed.</param>
/// <param name="Cost">What it cost at batch prices, from the usage Mistral reported (set by finalize).</param>
/// <param name="Steps">Steps decided so far, so that a driver can restart its history now and then.</param>
/// <param name="Mistral">
/// The Mistral the batch started against (its address and a fingerprint of its key, never the key): every call
/// to Mistral is made only by a host configured for it; null in state written before batches kept it.
/// </param>
/// <param name="Workflow">
/// The workflow options in force when the batch started, kept so that a deploy that changes a setting does
/// not change decisions a replaying orchestration already made; null in state written before they were kept.
/// </param>
public sealed record BatchState(
    int SchemaVersion,
    string InstanceId,
    BatchSource Source,
    DateTimeOffset StartedAt,
    BatchPhase Phase,
    IReadOnlyList<PartState> Parts,
    BatchSettings? Settings = null,
    long Requests = 0,
    long Bytes = 0,
    DateTimeOffset? Deadline = null,
    bool CancelRequested = false,
    bool CancelSent = false,
    StopReason? Stop = null,
    RetryState? Retry = null,
    PollState? Poll = null,
    BatchOutcome? Outcome = null,
    string? Failure = null,
    BatchOutputs? Outputs = null,
    DateTimeOffset? CompletedAt = null,
    int Steps = 0,
    WorkflowOptions? Workflow = null,
    Pricing.BatchCost? Cost = null,
    Mistral.MistralBinding? Mistral = null)
{
    /// <summary>The schema this code writes: 2 always keeps the workflow options, which state of schema 1 may lack.</summary>
    public const int CurrentSchemaVersion = 2;

    /// <summary>A new batch, about to be validated.</summary>
    public static BatchState Start(string instanceId, BatchSource source, DateTimeOffset now) =>
        new(CurrentSchemaVersion, instanceId, source, now, BatchPhase.Validating, []);

    /// <summary>
    /// This state in the current schema, made once when a host loads a batch, so that the workflow meets only
    /// current state: state of schema 1 without its workflow options takes <paramref name="current"/>, which it
    /// then keeps for the rest of its life.
    /// </summary>
    /// <remarks>A batch that does not say which Mistral it started against takes <paramref name="mistral"/>, the loading host's.</remarks>
    public BatchState Upgrade(WorkflowOptions current, Mistral.MistralBinding? mistral = null)
    {
        ArgumentNullException.ThrowIfNull(current);
        return SchemaVersion >= CurrentSchemaVersion && Workflow is not null && (Mistral is not null || mistral is null)
            ? this
            : this with { SchemaVersion = CurrentSchemaVersion, Workflow = Workflow ?? current.Snapshot(), Mistral = Mistral ?? mistral };
    }

    /// <summary>A new batch that keeps <paramref name="options"/> and the Mistral it starts against for its whole life.</summary>
    public static BatchState Start(string instanceId, BatchSource source, DateTimeOffset now, WorkflowOptions options, Mistral.MistralBinding? mistral = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Start(instanceId, source, now) with { Workflow = options.Snapshot(), Mistral = mistral };
    }
}
