using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Workflow;

/// <summary>What an activity answered, stamped by the driver with the (replay-safe) time it arrived.</summary>
/// <param name="Call">The call it answers.</param>
/// <param name="Status">Succeeded, retryable or permanent.</param>
/// <param name="Payload">The activity's result, when it succeeded.</param>
/// <param name="Error">What went wrong, when it did not (no secrets, no request content).</param>
/// <param name="RetryAfter">How long the server asked to wait, if it said.</param>
/// <param name="CompletedAt">When the driver received it.</param>
public sealed record ActivityResult(
    ActivityCall Call,
    ActivityStatus Status,
    ActivityPayload? Payload = null,
    string? Error = null,
    TimeSpan? RetryAfter = null,
    DateTimeOffset CompletedAt = default)
{
    /// <summary>A success.</summary>
    public static ActivityResult Success(ActivityCall call, ActivityPayload payload) => new(call, ActivityStatus.Succeeded, payload);

    /// <summary>A transient failure.</summary>
    public static ActivityResult Retry(ActivityCall call, string error, TimeSpan? retryAfter = null) => new(call, ActivityStatus.Retryable, Error: error, RetryAfter: retryAfter);

    /// <summary>A refusal for a limit that frees up: wait and try again, however often.</summary>
    public static ActivityResult Wait(ActivityCall call, string reason, TimeSpan? retryAfter = null) => new(call, ActivityStatus.Waiting, Error: reason, RetryAfter: retryAfter);

    /// <summary>A permanent failure.</summary>
    public static ActivityResult Fail(ActivityCall call, string error) => new(call, ActivityStatus.Permanent, Error: error);
}

/// <summary>The result of a successful activity.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(ValidatedPayload), "validated")]
[JsonDerivedType(typeof(StagedPayload), "staged")]
[JsonDerivedType(typeof(UploadedPayload), "uploaded")]
[JsonDerivedType(typeof(JobCreatedPayload), "created")]
[JsonDerivedType(typeof(JobsPayload), "jobs")]
[JsonDerivedType(typeof(CollectedPayload), "collected")]
[JsonDerivedType(typeof(FinishedPayload), "finished")]
public abstract record ActivityPayload;

/// <summary>
/// Validation result: counts, why an invalid input is refused (<see cref="BatchProgress.DescribeRejection"/>),
/// the resolved settings when valid, and the parts planned in the same pass (ranges of the input; null
/// from a validation recorded before parts were planned there, which a staging step then splits).
/// </summary>
public sealed record ValidatedPayload(bool IsValid, long Requests, long Bytes, long ErrorCount, string? Rejection, BatchSettings? Settings, IReadOnlyList<StagedPart>? Parts = null) : ActivityPayload;

/// <summary>The staged parts.</summary>
public sealed record StagedPayload(IReadOnlyList<StagedPart> Parts) : ActivityPayload;

/// <summary>One part: a blob, or the byte range of one that starts at <paramref name="Offset"/>.</summary>
/// <param name="Index">0-based part number.</param>
/// <param name="Container">The container of the blob that holds it.</param>
/// <param name="BlobName">The blob that holds it.</param>
/// <param name="Requests">Its requests.</param>
/// <param name="Bytes">Its bytes (the range's length).</param>
/// <param name="Offset">Where it starts in the blob; null when it is the whole blob.</param>
/// <param name="FirstRequest">The ordinal of its first request in the batch's custom_id hashes; null when none were written.</param>
public sealed record StagedPart(int Index, string Container, string BlobName, long Requests, long Bytes, long? Offset = null, long? FirstRequest = null);

/// <summary>The uploaded file.</summary>
public sealed record UploadedPayload(string FileId) : ActivityPayload;

/// <summary>The created (or found) job; <paramref name="Job"/> is all of it, so that a reused job that already ended is collected with its files.</summary>
public sealed record JobCreatedPayload(string JobId, string Status, JobSnapshot? Job = null) : ActivityPayload;

/// <summary>Jobs as Mistral reported them (poll, cancel).</summary>
public sealed record JobsPayload(IReadOnlyList<JobSnapshot> Jobs) : ActivityPayload;

/// <summary>One job as seen: status and counts.</summary>
public sealed record JobSnapshot(
    string JobId,
    string Status,
    int Total,
    int Completed,
    int Succeeded,
    int Failed,
    string? OutputFileId,
    string? ErrorFileId,
    IReadOnlyList<string> Errors,
    DateTimeOffset? StartedAt);

/// <summary>The collected part, with the job as it was read when its files were fetched, and what its merged lines add up to (null when its files were copied as they came).</summary>
public sealed record CollectedPayload(bool HasOutput, bool HasErrors, JobSnapshot? Job = null, Jsonl.BatchUsage? Merged = null) : ActivityPayload;

/// <summary>The batch's files (finalize, reject); an outcome when finalizing found it other than decided (results missing).</summary>
public sealed record FinishedPayload(BatchOutputs Outputs, BatchOutcome? Outcome = null, string? Failure = null, DateTimeOffset? CompletedAt = null, Pricing.BatchCost? Cost = null) : ActivityPayload;
