using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace BatchFunctions.Tests.Contract;

/// <summary>
/// A pipeline policy on a blob client that adds up the bytes each blob's downloads brought to this process,
/// and the bytes the process sent, so that a test can say how many times the workflow read its input and the
/// benchmark what a batch costs in traffic. Counts, never times.
/// </summary>
public sealed class StorageTrafficCounter : HttpPipelinePolicy
{
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private long _written;
    private long _requests;

    /// <summary>Requests sent (storage transactions, retries included).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Bytes downloaded from every blob.</summary>
    public long BytesRead => _bytes.Values.Sum();

    /// <summary>Bytes of every request's content (uploads, blocks, commits).</summary>
    public long BytesWritten => Interlocked.Read(ref _written);

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
        Interlocked.Increment(ref _requests);
        if (message.Request.Content is { } content && content.TryComputeLength(out var sent))
        {
            Interlocked.Add(ref _written, sent);
        }

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
