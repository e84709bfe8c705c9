using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Workflow;

/// <summary>An activity the decider asks the driver to run: a small, serialisable request.</summary>
/// <param name="InstanceId">The batch.</param>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "activity")]
[JsonDerivedType(typeof(ValidateInputCall), ActivityNames.ValidateInput)]
[JsonDerivedType(typeof(RejectInputCall), ActivityNames.RejectInput)]
[JsonDerivedType(typeof(StagePartsCall), ActivityNames.StageParts)]
[JsonDerivedType(typeof(UploadPartCall), ActivityNames.UploadPart)]
[JsonDerivedType(typeof(CreateJobCall), ActivityNames.CreateJob)]
[JsonDerivedType(typeof(PollJobsCall), ActivityNames.PollJobs)]
[JsonDerivedType(typeof(CancelJobsCall), ActivityNames.CancelJobs)]
[JsonDerivedType(typeof(CollectPartCall), ActivityNames.CollectPart)]
[JsonDerivedType(typeof(FinalizeCall), ActivityNames.FinalizeBatch)]
public abstract record ActivityCall(string InstanceId)
{
    /// <summary>The activity's name (the Durable activity function's name too).</summary>
    [JsonIgnore]
    public abstract string Name { get; }

    /// <summary>Identifies the step for retries: the activity and, for per-part calls, the part.</summary>
    [JsonIgnore]
    public virtual string StepKey => Name;

    /// <summary>The Mistral the batch belongs to: a call to Mistral is made only by a host configured for it.</summary>
    public Mistral.MistralBinding? Mistral { get; init; }
}

/// <summary>Validate the input and resolve its settings.</summary>
public sealed record ValidateInputCall(string InstanceId, BatchSource Source) : ActivityCall(InstanceId)
{
    /// <inheritdoc />
    public override string Name => ActivityNames.ValidateInput;
}

/// <summary>Write the rejection report beside the kept input.</summary>
public sealed record RejectInputCall(string InstanceId, BatchSource Source) : ActivityCall(InstanceId)
{
    /// <inheritdoc />
    public override string Name => ActivityNames.RejectInput;
}

/// <summary>Split the input into parts (or use it whole when it fits one).</summary>
public sealed record StagePartsCall(string InstanceId, BatchSource Source, long Requests, long Bytes) : ActivityCall(InstanceId)
{
    /// <inheritdoc />
    public override string Name => ActivityNames.StageParts;
}

/// <summary>Upload one part to Mistral's Files API: a blob, or <paramref name="Length"/> bytes of this version (<paramref name="ETag"/>) of one from <paramref name="Offset"/>.</summary>
public sealed record UploadPartCall(string InstanceId, int PartIndex, string Container, string BlobName, long? Offset = null, long? Length = null, string? ETag = null) : ActivityCall(InstanceId)
{
    /// <inheritdoc />
    public override string Name => ActivityNames.UploadPart;

    /// <inheritdoc />
    public override string StepKey => $"{Name}:{PartIndex}";
}

/// <summary>Create (or find) the batch job of one part, once the part (of <paramref name="Requests"/> requests) is granted workspace capacity.</summary>
public sealed record CreateJobCall(string InstanceId, int PartIndex, string FileId, BatchSettings Settings, DateTimeOffset? BatchStartedAt = null, long Requests = 0) : ActivityCall(InstanceId)
{
    /// <inheritdoc />
    public override string Name => ActivityNames.CreateJob;

    /// <inheritdoc />
    public override string StepKey => $"{Name}:{PartIndex}";
}

/// <summary>Refresh every unfinished job in one call.</summary>
public sealed record PollJobsCall(string InstanceId, IReadOnlyList<string> JobIds, DateTimeOffset? BatchStartedAt = null) : ActivityCall(InstanceId)
{
    /// <inheritdoc />
    public override string Name => ActivityNames.PollJobs;
}

/// <summary>Ask Mistral to cancel jobs.</summary>
public sealed record CancelJobsCall(string InstanceId, IReadOnlyList<string> JobIds, StopReason Reason) : ActivityCall(InstanceId)
{
    /// <inheritdoc />
    public override string Name => ActivityNames.CancelJobs;
}

/// <summary>
/// Collect one finished job's output and error files: merged, as they stream in, into the part's results and
/// failures in staging when <paramref name="Part"/> is given (its input range and hashes order the lines),
/// copied as they came when not (a call made by an earlier version). With <paramref name="JobId"/>, the job is
/// read again first and its current file ids win over the ones given (which may predate the job's end).
/// </summary>
public sealed record CollectPartCall(string InstanceId, int PartIndex, string? OutputFileId, string? ErrorFileId, string? JobId = null, PartState? Part = null) : ActivityCall(InstanceId)
{
    /// <inheritdoc />
    public override string Name => ActivityNames.CollectPart;

    /// <inheritdoc />
    public override string StepKey => $"{Name}:{PartIndex}";
}

/// <summary>Merge, summarise, archive, notify.</summary>
public sealed record FinalizeCall(string InstanceId, BatchState State, BatchOutcome Outcome, string? Failure) : ActivityCall(InstanceId)
{
    /// <inheritdoc />
    public override string Name => ActivityNames.FinalizeBatch;
}
