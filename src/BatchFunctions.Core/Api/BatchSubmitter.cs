using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Api;

/// <summary>
/// Turns a start request into the input blob version that identifies the batch: a referenced blob as it is
/// now, or inline requests written to the input container with their settings as metadata. Problems come
/// back as messages for a 400 answer, never as exceptions.
/// </summary>
public sealed class BatchSubmitter(BatchStorage storage, TimeProvider timeProvider, IOptions<BatchDefaultsOptions> defaults)
{
    /// <summary>The most inline requests one start request may carry; larger batches go through a blob.</summary>
    public const int MaxInlineRequests = 10_000;

    // Blocks of 4 MiB, two in flight: an upload of any size holds about 8 MiB.
    private static readonly StorageTransferOptions StreamingTransfer = new()
    {
        InitialTransferSize = 4 * 1024 * 1024,
        MaximumTransferSize = 4 * 1024 * 1024,
        MaximumConcurrency = 2,
    };

    /// <summary>The batch source for <paramref name="request"/>, or why there is none.</summary>
    public async Task<(BatchSource? Source, IReadOnlyList<string> Errors)> ResolveAsync(StartBatchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<string>();
        var hasRequests = request.Requests is { Count: > 0 };
        if ((request.Blob is null) == !hasRequests)
        {
            errors.Add("Give either 'blob' (an uploaded input) or 'requests' (inline request lines), not both or neither.");
        }

        if (request.Blob is not null && (request.Model ?? request.Endpoint ?? (object?)request.TimeoutHours ?? request.Metadata) is not null)
        {
            errors.Add("Settings of a blob input come from its metadata (model, endpoint, timeout_hours, metadata_*); 'model', 'endpoint', 'timeout_hours' and 'metadata' apply to inline requests only.");
        }

        if (request.Requests is { Count: > MaxInlineRequests })
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"At most {MaxInlineRequests} inline requests are accepted; upload larger batches as a blob."));
        }

        CheckName(request.Name, errors);

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return request.Blob is { } blob ? await FromBlobAsync(blob, errors, cancellationToken) : (await WriteInlineAsync(request, cancellationToken), errors);
    }

    private async Task<(BatchSource? Source, IReadOnlyList<string> Errors)> FromBlobAsync(BlobReference reference, List<string> errors, CancellationToken cancellationToken)
    {
        var container = reference.Container ?? storage.Options.InputContainer;
        try
        {
            var properties = await storage.Blobs.GetBlobContainerClient(container).GetBlobClient(reference.Name).GetPropertiesAsync(cancellationToken: cancellationToken);
            return (new BatchSource(storage.AccountName, container, reference.Name, properties.Value.ETag.ToString()), errors);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            errors.Add($"No blob '{reference.Name}' in container '{container}'.");
            return (null, errors);
        }
    }

    /// <summary>
    /// Streams a JSONL body (<c>POST /api/batches</c> with <c>Content-Type: application/x-ndjson</c>) into the
    /// input container with the settings of <paramref name="settings"/> as metadata; the content is validated
    /// by the workflow like any dropped file. Only a few MiB are held in memory at a time.
    /// </summary>
    public async Task<(BatchSource? Source, IReadOnlyList<string> Errors)> UploadAsync(Stream content, StartBatchRequest settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(settings);
        var errors = new List<string>();
        if (settings.Blob is not null || settings.Requests is not null)
        {
            errors.Add("A JSONL upload is the requests itself: give only its name and settings.");
        }

        CheckName(settings.Name, errors);
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var name = settings.Name ?? NewName("uploads");
        var blob = storage.Input.GetBlobClient(name);
        var uploaded = await blob.UploadAsync(content, new BlobUploadOptions { Metadata = MetadataOf(settings), TransferOptions = StreamingTransfer }, cancellationToken);
        return (new BatchSource(storage.AccountName, storage.Options.InputContainer, name, uploaded.Value.ETag.ToString()), errors);
    }

    private static void CheckName(string? name, List<string> errors)
    {
        if (name is not null && (name.Length > 200 || !name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || name.Contains("..", StringComparison.Ordinal) || name.StartsWith('/')))
        {
            errors.Add("'name' must end with .jsonl, have at most 200 characters, no '..' and no leading '/'.");
        }
    }

    private string NewName(string folder) => string.Create(CultureInfo.InvariantCulture, $"{folder}/{timeProvider.GetUtcNow():yyyyMMdd}/{Guid.NewGuid():N}.jsonl");

    private Dictionary<string, string> MetadataOf(StartBatchRequest request)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["endpoint"] = request.Endpoint ?? defaults.Value.Endpoint,
        };
        if ((request.Model ?? defaults.Value.Model) is { } model)
        {
            metadata["model"] = model;
        }

        if (request.TimeoutHours is { } hours)
        {
            metadata["timeout_hours"] = hours.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in request.Metadata ?? new Dictionary<string, string>())
        {
            metadata["metadata_" + key] = value;
        }

        return metadata;
    }

    private async Task<BatchSource> WriteInlineAsync(StartBatchRequest request, CancellationToken cancellationToken)
    {
        var name = request.Name ?? NewName("inline");
        var metadata = MetadataOf(request);
        using var content = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(content))
        {
            foreach (var line in request.Requests!)
            {
                line.WriteTo(writer);
                await writer.FlushAsync(cancellationToken);
                writer.Reset();
                content.WriteByte((byte)'\n');
            }
        }

        content.Position = 0;
        var blob = storage.Input.GetBlobClient(name);
        var uploaded = await blob.UploadAsync(content, new BlobUploadOptions { Metadata = metadata }, cancellationToken);
        return new BatchSource(storage.AccountName, storage.Options.InputContainer, name, uploaded.Value.ETag.ToString());
    }
}
