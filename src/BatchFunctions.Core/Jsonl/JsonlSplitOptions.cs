namespace BatchFunctions.Core.Jsonl;

/// <summary>The limits one part (one Mistral job and its uploaded file) must stay within.</summary>
public sealed record JsonlSplitOptions
{
    /// <summary>
    /// Requests per part. Mistral's pages disagree (100,000 per batch in the known limitations, up to
    /// 1,000,000 in the batch guide); the lower figure is the safe default.
    /// </summary>
    public int MaxRequestsPerPart { get; init; } = 100_000;

    /// <summary>Bytes per uploaded part: 500,000,000, under Mistral's 512 MB upload limit however "MB" is read.</summary>
    public long MaxBytesPerPart { get; init; } = 500_000_000;

    /// <summary>The longest line, as validated; a part must be able to hold it.</summary>
    public int MaxLineBytes { get; init; } = 8 * 1024 * 1024;
}
