namespace BatchFunctions.Core.Jsonl;

/// <summary>Resources the merger may use.</summary>
public sealed record JsonlMergeOptions
{
    /// <summary>Where sorted runs are spilled; the system's temporary folder when null.</summary>
    public string? TemporaryDirectory { get; init; }

    /// <summary>Memory for sorting one part's lines before spilling to disk.</summary>
    public int SortBufferBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Whether requests without any line are written to the errors (in their place, with the part's
    /// <see cref="JsonlMergePart.Unanswered"/> reason). When false they are only counted, as
    /// <see cref="BatchUsage.Missing"/>, and the input is never read: a part merged as its job is collected,
    /// before the batch's outcome (and so the reason) is known.
    /// </summary>
    public bool WriteUnanswered { get; init; } = true;

    /// <summary>The longest result line read (completions can be long); a longer one is reported as failed.</summary>
    public int MaxLineBytes { get; init; } = 64 * 1024 * 1024;
}
