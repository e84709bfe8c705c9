using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Azure;
using Azure.Storage.Blobs;

namespace BatchFunctions.Core.Storage;

/// <summary>Reads of blobs that may not be there: a missing blob is null, not an exception.</summary>
internal static class BlobJson
{
    /// <summary>The JSON document in <paramref name="blob"/>, or null when there is no such blob.</summary>
    public static async Task<T?> ReadIfExistsAsync<T>(BlobClient blob, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken);
            return JsonSerializer.Deserialize(content.Value.Content.ToMemory().Span, type);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// The JSON document in <paramref name="blob"/> with the ETag it was read at, for a conditional write back;
    /// null when there is no such blob. A blob that holds no document (damaged, <c>null</c>, written by hand) reads
    /// as a null value with its ETag, so that the caller can decide what it stands for and replace it.
    /// </summary>
    public static async Task<(T? Value, ETag ETag)?> ReadVersionedAsync<T>(BlobClient blob, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var content = (await blob.DownloadContentAsync(cancellationToken)).Value;
            try
            {
                return (JsonSerializer.Deserialize(content.Content.ToMemory().Span, type), content.Details.ETag);
            }
            catch (JsonException)
            {
                return (null, content.Details.ETag);
            }
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }
}
