namespace BatchFunctions.Core.Jsonl;

/// <summary>What a batch's results add up to, for <c>summary.json</c>: every input request is succeeded, failed, missing or not processed.</summary>
public sealed record BatchUsage
{
    /// <summary>Requests in the input.</summary>
    public required long Requests { get; init; }

    /// <summary>Requests with a 2xx response and no error.</summary>
    public required long Succeeded { get; init; }

    /// <summary>Requests with an error or a non-2xx response (Succeeded + Failed + Missing + NotProcessed = Requests).</summary>
    public required long Failed { get; init; }

    /// <summary>Requests a job that succeeded returned no line for (written to the errors as <c>missing_result</c>).</summary>
    public required long Missing { get; init; }

    /// <summary>
    /// Requests never processed because the batch was cancelled, timed out or failed (written to the errors as
    /// <c>cancelled</c>, <c>timed_out</c> or <c>job_failed</c>).
    /// </summary>
    public long NotProcessed { get; init; }

    /// <summary>Result lines whose custom_id matches no input request (kept, after the matched ones).</summary>
    public required long Unmatched { get; init; }

    /// <summary>Further result lines for a custom_id that already had one (dropped; the first wins, successes first).</summary>
    public required long Duplicates { get; init; }

    /// <summary>Prompt tokens of the successful requests.</summary>
    public required long PromptTokens { get; init; }

    /// <summary>Completion tokens of the successful requests.</summary>
    public required long CompletionTokens { get; init; }

    /// <summary>Total tokens of the successful requests.</summary>
    public required long TotalTokens { get; init; }

    /// <summary>The same figures per model named in the responses.</summary>
    public required IReadOnlyDictionary<string, ModelUsage> Models { get; init; }
}
