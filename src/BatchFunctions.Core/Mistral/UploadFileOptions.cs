namespace BatchFunctions.Core.Mistral;

/// <summary>Optional fields of a file upload.</summary>
public sealed record UploadFileOptions
{
    /// <summary>The file's purpose; batch inputs by default, since an omitted purpose is treated as fine-tune.</summary>
    public FilePurpose Purpose { get; init; } = FilePurpose.Batch;

    /// <summary>Expiry sent as the <c>expiry</c> field (unit undocumented by Mistral); omitted when null.</summary>
    public int? Expiry { get; init; }

    /// <summary>Visibility; the API defaults to workspace.</summary>
    public FileVisibility? Visibility { get; init; }
}
