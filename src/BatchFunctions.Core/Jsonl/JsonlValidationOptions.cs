using BatchFunctions.Core.Mistral;

namespace BatchFunctions.Core.Jsonl;

/// <summary>What a JSONL input is checked against.</summary>
public sealed record JsonlValidationOptions
{
    /// <summary>The job's endpoint: its request bodies get the endpoint's checks. Null checks only the envelope.</summary>
    public ApiEndpoint? Endpoint { get; init; }

    /// <summary>The job's model: a different <c>model</c> in a body is warned about.</summary>
    public string? Model { get; init; }

    /// <summary>The longest line accepted, in bytes (default 8 MiB: room for a base64 document or image).</summary>
    public int MaxLineBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// The longest custom_id, in UTF-8 bytes. Mistral publishes no limit; 512 keeps ids usable as blob
    /// names and metadata and is far above any sensible id.
    /// </summary>
    public int MaxCustomIdBytes { get; init; } = 512;

    /// <summary>
    /// The most requests one input may hold. Mistral accepts at most 1,000,000 pending requests per
    /// workspace, so a larger input could never be in flight at once even split into several jobs.
    /// </summary>
    public long MaxRequests { get; init; } = 1_000_000;

    /// <summary>
    /// The input's length when it is known: the table of seen custom_ids is then sized once for the most
    /// requests that many bytes can hold (up to <see cref="MaxRequests"/>), instead of growing by copies.
    /// </summary>
    public long? ExpectedBytes { get; init; }

    /// <summary>How many errors, and separately how many warnings, are kept with their details; all are counted.</summary>
    public int MaxIssues { get; init; } = 100;
}
