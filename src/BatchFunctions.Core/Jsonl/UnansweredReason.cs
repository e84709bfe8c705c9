namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Why a request has no line from Mistral, written as the <c>error.code</c> of its line in errors.jsonl:
/// <c>missing_result</c> only where Mistral should have answered (its job succeeded); otherwise the batch was
/// cancelled, ran out of time, or its job failed before the request was processed.
/// </summary>
public sealed record UnansweredReason(string Code, string Message)
{
    /// <summary>The job succeeded yet returned nothing for the request: a line paid for and lost.</summary>
    public static UnansweredReason Missing { get; } = new("missing_result", "Mistral returned no result for this request although its job succeeded.");

    /// <summary>The batch was cancelled before the request was processed.</summary>
    public static UnansweredReason Cancelled { get; } = new("cancelled", "The batch was cancelled before this request was processed.");

    /// <summary>The batch's time limit passed before the request was processed.</summary>
    public static UnansweredReason TimedOut { get; } = new("timed_out", "The batch's time limit passed before this request was processed.");

    /// <summary>The job failed, or the batch failed before creating it.</summary>
    public static UnansweredReason JobFailed { get; } = new("job_failed", "The batch failed before this request was processed.");

    /// <summary>Whether requests with this reason were never processed (as opposed to answered and lost).</summary>
    public bool NotProcessed => Code != Missing.Code;

    /// <summary>
    /// The reason for a part's unanswered requests, from the Mistral status of its job (null when no job was
    /// created) and why the batch stopped (null while it has not).
    /// </summary>
    public static UnansweredReason For(string? jobStatus, Workflow.BatchOutcome? outcome) => (jobStatus, outcome) switch
    {
        ("SUCCESS", _) => Missing,
        (_, Workflow.BatchOutcome.Cancelled) => Cancelled,
        (_, Workflow.BatchOutcome.TimedOut) => TimedOut,
        ("TIMEOUT_EXCEEDED", _) => TimedOut,
        ("CANCELLED", _) => Cancelled,
        (null, Workflow.BatchOutcome.Succeeded) => Missing,
        _ => JobFailed,
    };
}
