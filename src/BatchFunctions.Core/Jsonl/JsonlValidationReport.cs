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

    /// <summary>UTF-8 bytes of prompt text in the requests (message contents, inputs), as written in the JSON: what input tokens are estimated from.</summary>
    public long PromptTextBytes { get; init; }

    /// <summary>Chat messages in the requests (each adds a few tokens beyond its text).</summary>
    public long Messages { get; init; }

    /// <summary>The sum of the requests' max_tokens.</summary>
    public long MaxTokens { get; init; }

    /// <summary>Requests without a max_tokens (their output is bounded only by the model).</summary>
    public long RequestsWithoutMaxTokens { get; init; }

    /// <summary>What the input will use and cost, when it was asked for (<c>batchfn estimate</c>, <c>validate --json</c>, a dry run).</summary>
    public Pricing.CostEstimate? Estimate { get; init; }
}
