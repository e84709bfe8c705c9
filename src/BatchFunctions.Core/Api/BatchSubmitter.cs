using System.Globalization;
using System.Text.Json;
using Azure;
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

        if (request.Name is { } name && (name.Length > 200 || !name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || name.Contains("..", StringComparison.Ordinal)))
        {
            errors.Add("'name' must end with .jsonl, have at most 200 characters and no '..'.");
        }

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

    private async Task<BatchSource> WriteInlineAsync(StartBatchRequest request, CancellationToken cancellationToken)
    {
        var name = request.Name ?? string.Create(CultureInfo.InvariantCulture, $"inline/{timeProvider.GetUtcNow():yyyyMMdd}/{Guid.NewGuid():N}.jsonl");
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
