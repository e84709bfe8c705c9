namespace BatchFunctions.Core.Jsonl;

/// <summary>The outcome of validating a JSONL input: counts, and the first errors and warnings with their totals.</summary>
public sealed record JsonlValidationReport
{
    /// <summary>Whether the input may be submitted: no error at all.</summary>
    public bool IsValid => ErrorCount == 0;

    /// <summary>Requests (non-blank lines).</summary>
    public required long Requests { get; init; }

    /// <summary>All lines, blank ones included.</summary>
    public required long Lines { get; init; }

    /// <summary>Bytes read.</summary>
    public required long Bytes { get; init; }

    /// <summary>All errors found.</summary>
    public required long ErrorCount { get; init; }

    /// <summary>All warnings found.</summary>
    public required long WarningCount { get; init; }

    /// <summary>The first errors, in line order.</summary>
    public required IReadOnlyList<JsonlIssue> Errors { get; init; }

    /// <summary>The first warnings, in line order.</summary>
    public required IReadOnlyList<JsonlIssue> Warnings { get; init; }
}
