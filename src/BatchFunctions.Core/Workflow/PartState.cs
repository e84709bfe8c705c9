using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Mistral;

namespace BatchFunctions.Core.Workflow;

/// <summary>One part of a batch and its Mistral job: ids, status and counts only, never content.</summary>
/// <param name="Index">0-based part number.</param>
/// <param name="Container">Container of the part's input (the input itself when it was not split).</param>
/// <param name="BlobName">Blob of the part's input.</param>
/// <param name="Requests">Requests in the part.</param>
/// <param name="Bytes">Bytes in the part.</param>
/// <param name="FileId">The uploaded file at Mistral.</param>
/// <param name="JobId">The part's batch job.</param>
/// <param name="JobStatus">The job's last seen status.</param>
/// <param name="Total">The job's total requests.</param>
/// <param name="Completed">Requests completed.</param>
/// <param name="Succeeded">Requests that succeeded.</param>
/// <param name="Failed">Requests that failed.</param>
/// <param name="OutputFileId">The job's output file.</param>
/// <param name="ErrorFileId">The job's error file.</param>
/// <param name="JobErrors">Job-level errors Mistral reported.</param>
/// <param name="StartedAt">When the job started running.</param>
/// <param name="Collected">Whether its output and error files were copied to storage.</param>
/// <param name="Offset">Where the part starts in its blob (a range of the input); null when it is the whole blob.</param>
/// <param name="Merged">
/// What the part's lines added up to when they were merged at collection (its answered lines, in input order,
/// in the staging container; <see cref="BatchUsage.Missing"/> counts the requests without any line); null
/// when its files were copied as they came (a collection by an earlier version) or not collected.
/// </param>
/// <param name="FirstRequest">The ordinal of its first request in the batch's custom_id hashes; null when none were written (the merge then indexes the part's input).</param>
public sealed record PartState(
    int Index,
    string Container,
    string BlobName,
    long Requests,
    long Bytes,
    string? FileId = null,
    string? JobId = null,
    string? JobStatus = null,
    int Total = 0,
    int Completed = 0,
    int Succeeded = 0,
    int Failed = 0,
    string? OutputFileId = null,
    string? ErrorFileId = null,
    IReadOnlyList<string>? JobErrors = null,
    DateTimeOffset? StartedAt = null,
    bool Collected = false,
    long? Offset = null,
    long? FirstRequest = null,
    BatchUsage? Merged = null)
{
    /// <summary>Whether the job has stopped for good (CANCELLATION_REQUESTED is not terminal).</summary>
    public bool IsTerminal => JobStatus is not null && BatchJobStatus.FromValue(JobStatus).IsTerminal;
}
