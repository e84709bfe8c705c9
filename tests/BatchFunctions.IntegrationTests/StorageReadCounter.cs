using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace BatchFunctions.IntegrationTests;

/// <summary>
/// A pipeline policy on the test's blob client that adds up the bytes each blob's downloads brought to this
/// process, so a test can say how many times the workflow read its input. Counts, never times.
/// </summary>
public sealed class StorageReadCounter : HttpPipelinePolicy
{
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

    /// <summary>Bytes downloaded from the blob at <paramref name="path"/> (<c>/account/container/name</c>, as sent).</summary>
    public long BytesReadFrom(string path) => _bytes.Where(pair => pair.Key.EndsWith(path, StringComparison.Ordinal)).Sum(pair => pair.Value);

    /// <summary>Bytes downloaded from every blob whose path contains <paramref name="fragment"/>.</summary>
    public long BytesReadContaining(string fragment) => _bytes.Where(pair => pair.Key.Contains(fragment, StringComparison.Ordinal)).Sum(pair => pair.Value);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ProcessNext(message, pipeline);
        Count(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        Count(message);
    }

    private void Count(HttpMessage message)
    {
        // A blob download is a GET of the blob itself (no comp= query: listings, properties and tags are not content).
        var uri = message.Request.Uri;
        if (message.Request.Method != RequestMethod.Get || !message.HasResponse || message.Response.Status is not (200 or 206)
            || uri.Query.Contains("comp=", StringComparison.Ordinal) || uri.Query.Contains("restype=", StringComparison.Ordinal))
        {
            return;
        }

        if (message.Response.Headers.ContentLength is { } length)
        {
            _bytes.AddOrUpdate(Uri.UnescapeDataString(uri.Path), length, (_, total) => total + length);
        }
    }
}
