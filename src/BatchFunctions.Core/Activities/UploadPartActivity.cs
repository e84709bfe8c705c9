using Azure;
using Azure.Storage.Blobs;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Activities;

/// <summary>Uploads a part (a blob or a range of one) under a deterministic name, reusing a file a previous attempt already uploaded.</summary>
public sealed class UploadPartActivity(MistralClient mistral, BatchStorage storage) : IBatchActivity<UploadPartCall>
{
    /// <inheritdoc/>
    public async Task<ActivityResult> RunAsync(UploadPartCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var name = BlobLayout.UploadName(call.InstanceId, call.PartIndex);
        var blob = storage.Blobs.GetBlobContainerClient(call.Container).GetBlobClient(call.BlobName);
        var (length, version) = call.Length is { } range && call.ETag is { } etag
            ? (range, new ETag(etag))
            : await WholeBlobAsync(blob, cancellationToken);
        await foreach (var existing in mistral.GetAllFilesAsync(new FileListQuery { Search = name, Purpose = FilePurpose.Batch }, cancellationToken))
        {
            if (existing.Filename == name && (existing.Bytes is null || existing.Bytes == length))
            {
                return ActivityResult.Success(call, new UploadedPayload(existing.Id));
            }
        }

        // Exactly the part's bytes of the version validated, seekable so that the HTTP pipeline may resend it.
        await using var content = new BlobRangeStream(blob, call.Offset ?? 0, length, version);
        var file = await mistral.UploadFileAsync(content, name, new UploadFileOptions { Purpose = FilePurpose.Batch }, cancellationToken);
        return ActivityResult.Success(call, new UploadedPayload(file.Id));
    }

    private static async Task<(long Length, ETag Version)> WholeBlobAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        return (properties.ContentLength, properties.ETag);
    }
}
