namespace BatchFunctions.Core.Settings;

/// <summary>Job settings used when an input's metadata does not say, and the data-plane limits. Bound from the <c>Batch</c> section.</summary>
public sealed class BatchDefaultsOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Batch";

    /// <summary>The endpoint when the input's <c>endpoint</c> metadata is absent.</summary>
    public string Endpoint { get; set; } = "/v1/chat/completions";

    /// <summary>The model when the input's <c>model</c> metadata is absent; empty leaves it to each line.</summary>
    public string? Model { get; set; } = "mistral-small-latest";

    /// <summary>Mistral's job timeout when the input's <c>timeout_hours</c> metadata is absent (1 to 168).</summary>
    public int TimeoutHours { get; set; } = 24;

    /// <summary>Requests per part (per Mistral job).</summary>
    public int MaxRequestsPerPart { get; set; } = 100_000;

    /// <summary>Bytes per uploaded part.</summary>
    public long MaxBytesPerPart { get; set; } = 500_000_000;

    /// <summary>The longest input line accepted.</summary>
    public int MaxLineBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The most requests one input may hold.</summary>
    public long MaxRequestsPerBatch { get; set; } = 1_000_000;

    /// <summary>How long an <c>Idempotency-Key</c> of <c>POST /api/batches</c> keeps answering with the batch it started.</summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Delete the files we uploaded to Mistral once the batch is over (Mistral keeps them 30 days otherwise).</summary>
    public bool DeleteUploadedFiles { get; set; } = true;
}
