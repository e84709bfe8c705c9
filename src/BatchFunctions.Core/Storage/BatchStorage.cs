using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace BatchFunctions.Core.Storage;

/// <summary>The storage clients and containers of BatchFunctions.</summary>
public sealed class BatchStorage(BlobServiceClient blobs, QueueServiceClient queues, BatchStorageOptions options)
{
    /// <summary>The options in force.</summary>
    public BatchStorageOptions Options { get; } = options;

    /// <summary>The blob service.</summary>
    public BlobServiceClient Blobs { get; } = blobs;

    /// <summary>The queue service.</summary>
    public QueueServiceClient Queues { get; } = queues;

    /// <summary>The storage account's name (part of a batch's identity).</summary>
    public string AccountName => Blobs.AccountName;

    /// <summary>Input container.</summary>
    public BlobContainerClient Input => Blobs.GetBlobContainerClient(Options.InputContainer);

    /// <summary>Output container.</summary>
    public BlobContainerClient Output => Blobs.GetBlobContainerClient(Options.OutputContainer);

    /// <summary>Errors container.</summary>
    public BlobContainerClient Errors => Blobs.GetBlobContainerClient(Options.ErrorsContainer);

    /// <summary>Archive container.</summary>
    public BlobContainerClient Archive => Blobs.GetBlobContainerClient(Options.ArchiveContainer);

    /// <summary>Staging container.</summary>
    public BlobContainerClient Staging => Blobs.GetBlobContainerClient(Options.StagingContainer);

    /// <summary>The completion queue.</summary>
    public QueueClient Completed => Queues.GetQueueClient(Options.CompletedQueue);

    /// <summary>The blob of one of a batch's files (it may not exist yet, or at all for this outcome).</summary>
    public BlobClient FileOf(string inputName, string instanceId, Api.BatchFileKind kind) => kind switch
    {
        Api.BatchFileKind.Results => Output.GetBlobClient(BlobLayout.Results(inputName, instanceId)),
        Api.BatchFileKind.Summary => Output.GetBlobClient(BlobLayout.Summary(inputName, instanceId)),
        Api.BatchFileKind.Errors => Errors.GetBlobClient(BlobLayout.Errors(inputName, instanceId)),
        Api.BatchFileKind.Rejection => Errors.GetBlobClient(BlobLayout.Rejection(inputName, instanceId)),
        Api.BatchFileKind.CombinedResults => Output.GetBlobClient(BlobLayout.CombinedResults(inputName, instanceId)),
        Api.BatchFileKind.CombinedErrors => Errors.GetBlobClient(BlobLayout.CombinedErrors(inputName, instanceId)),
        Api.BatchFileKind.CombinedSummary => Output.GetBlobClient(BlobLayout.CombinedSummary(inputName, instanceId)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown file kind."),
    };

    /// <summary>
    /// Why <paramref name="source"/> may not start a batch, or null when it may: its container must be one of
    /// the input containers and its name must pass <see cref="BlobNames.CheckInputName"/>. Both hosts ask this
    /// before starting anything, whichever entry point the source came through.
    /// </summary>
    public string? CheckSource(Workflow.BatchSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!Options.InputContainers.Contains(source.Container, StringComparer.Ordinal))
        {
            return $"The blob is in container '{source.Container}', which is not an input container ({string.Join(", ", Options.InputContainers)}).";
        }

        return BlobNames.CheckInputName(source.Name, "The blob name");
    }

    /// <summary>Creates every container and queue that does not exist yet.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        foreach (var container in new[] { Input, Output, Errors, Archive, Staging })
        {
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }

        await Completed.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }
}
