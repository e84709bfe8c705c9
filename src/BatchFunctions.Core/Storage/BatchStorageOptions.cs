namespace BatchFunctions.Core.Storage;

/// <summary>Where batches are read and written. Bound from the <c>Storage</c> section.</summary>
public sealed class BatchStorageOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Storage";

    /// <summary>A connection string (Azurite: <c>UseDevelopmentStorage=true</c> or an explicit endpoint string). Never logged.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The blob service URI, used with <c>DefaultAzureCredential</c> (managed identity in Azure) when there is no connection string.</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>The queue service URI, with the same credential.</summary>
    public Uri? QueueServiceUri { get; set; }

    /// <summary>The client id of a user-assigned managed identity, if one is used.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Where inputs arrive.</summary>
    public string InputContainer { get; set; } = "batch-input";

    /// <summary>Where results and summaries go.</summary>
    public string OutputContainer { get; set; } = "batch-output";

    /// <summary>Where error lines and rejection reports go.</summary>
    public string ErrorsContainer { get; set; } = "batch-errors";

    /// <summary>Where processed inputs are moved.</summary>
    public string ArchiveContainer { get; set; } = "batch-archive";

    /// <summary>Working files: parts, downloaded job outputs, validation reports.</summary>
    public string StagingContainer { get; set; } = "batch-staging";

    /// <summary>The queue that receives a message when a batch ends.</summary>
    public string CompletedQueue { get; set; } = "batch-completed";

    /// <summary>
    /// Other containers a start request's <c>blob.container</c> may name, comma separated; empty (the default)
    /// allows only <see cref="InputContainer"/>. None of the containers BatchFunctions writes may be listed.
    /// </summary>
    public string? AllowedInputContainers { get; set; }

    /// <summary>What to do with an input once processed.</summary>
    public ArchiveMode ArchiveMode { get; set; } = ArchiveMode.Archive;

    /// <summary>The containers inputs may be read from: the input container and the allowed others.</summary>
    public IReadOnlyList<string> InputContainers =>
        [InputContainer, .. (AllowedInputContainers ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(c => c != InputContainer)];

    /// <summary>The containers BatchFunctions writes to (besides the input container, which it archives from).</summary>
    public IReadOnlyList<string> OwnedContainers => [OutputContainer, ErrorsContainer, ArchiveContainer, StagingContainer];

    /// <inheritdoc />
    public override string ToString() => ConnectionString is null ? $"Blob={BlobServiceUri}, Queue={QueueServiceUri}" : "ConnectionString=(set)";
}
