namespace BatchFunctions.Core.Mistral;

/// <summary>Filters and paging for listing files.</summary>
public sealed record FileListQuery
{
    /// <summary>Zero-based page.</summary>
    public int Page { get; init; }

    /// <summary>Files per page.</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>Whether to ask for the total count.</summary>
    public bool IncludeTotal { get; init; } = true;

    /// <summary>Only these sample types.</summary>
    public IReadOnlyList<SampleType>? SampleTypes { get; init; }

    /// <summary>Only these sources.</summary>
    public IReadOnlyList<FileSource>? Sources { get; init; }

    /// <summary>Only files whose name matches this text.</summary>
    public string? Search { get; init; }

    /// <summary>Only this purpose.</summary>
    public FilePurpose? Purpose { get; init; }

    /// <summary>Only these MIME types.</summary>
    public IReadOnlyList<string>? Mimetypes { get; init; }
}
