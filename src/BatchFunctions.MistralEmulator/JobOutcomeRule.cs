namespace BatchFunctions.MistralEmulator;

/// <summary>A job-level outcome forced on the next <see cref="Count"/> jobs created.</summary>
internal sealed record JobOutcomeRule
{
    /// <summary><c>FAILED</c> or <c>TIMEOUT_EXCEEDED</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Requests completed before the outcome strikes.</summary>
    public int AfterRequests { get; init; }

    /// <summary>The job-level error message recorded with <c>FAILED</c>.</summary>
    public string? Message { get; init; }

    /// <summary>How many jobs; one when absent (nullable because the JSON source generator would turn a missing value into 0).</summary>
    public int? Count { get; init; }
}
