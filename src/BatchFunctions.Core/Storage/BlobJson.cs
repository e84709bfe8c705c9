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
}
