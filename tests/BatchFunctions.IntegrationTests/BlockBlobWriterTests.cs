using System.Security.Cryptography;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Storage;

namespace BatchFunctions.IntegrationTests;

[Collection(AzuriteTests.Name)]
public sealed class BlockBlobWriterTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task CommitAsync_WritesSpanningManyBlocks_StoresTheBytesInOrderWithTheirHeaders()
    {
        var blob = await NewBlobAsync();
        var content = RandomNumberGenerator.GetBytes(10_000);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(content);
        var hash = md5.GetHashAndReset();

        await using (var writer = new BlockBlobWriter(blob, blockBytes: 1000, maxInFlight: 3))
        {
            for (var offset = 0; offset < content.Length; offset += 333)
            {
                await writer.WriteAsync(content.AsMemory(offset, Math.Min(333, content.Length - offset)));
            }

            await writer.CommitAsync(new BlobHttpHeaders { ContentHash = hash, ContentType = "application/x-ndjson" }, CancellationToken.None);
        }

        var stored = (await blob.DownloadContentAsync()).Value;
        Assert.Equal(content, stored.Content.ToArray());
        Assert.Equal(hash, stored.Details.ContentHash);
        Assert.Equal("application/x-ndjson", stored.Details.ContentType);
        Assert.Equal(10, (await blob.GetBlockListAsync()).Value.CommittedBlocks.Count());
    }

    [Fact]
    public async Task DisposeAsync_WithoutCommit_LeavesTheBlobAsItWas()
    {
        var blob = await NewBlobAsync();
        await blob.UploadAsync(BinaryData.FromString("before\n").ToStream());

        await using (var writer = new BlockBlobWriter(blob, blockBytes: 1000, maxInFlight: 3))
        {
            // A merge that fails after writing blocks' worth of lines: nothing of it may become the blob.
            await writer.WriteAsync(new byte[2500]);
        }

        Assert.Equal("before\n", (await blob.DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task CommitAsync_EachBlock_IsStagedWithTheMd5OfItsBytes()
    {
        var recorder = new PutBlockRecorder();
        var blob = await NewBlobAsync(recorder);
        var content = RandomNumberGenerator.GetBytes(2500);

        await using (var writer = new BlockBlobWriter(blob, blockBytes: 1000, maxInFlight: 3))
        {
            await writer.WriteAsync(content);
            await writer.CommitAsync(null, CancellationToken.None);
        }

        // The service checks each block against it (and Azurite, given none, spends 12 ms a MiB on a CRC64 of its own).
        string[] expected = [.. content.Chunk(1000).Select(Md5Base64).Order()];
        Assert.Equal(expected, recorder.ContentMd5s.Order());
        Assert.Equal(content, (await blob.DownloadContentAsync()).Value.Content.ToArray());
    }

    [Fact]
    public async Task Md5_GivenToTheSdksWriteStream_SendsEachBlocksMd5()
    {
        var recorder = new PutBlockRecorder();
        var blob = await NewBlobAsync(recorder);
        var content = RandomNumberGenerator.GetBytes(2500);

        await using (var stream = await blob.OpenWriteAsync(overwrite: true, new BlockBlobOpenWriteOptions { BufferSize = 1000, TransferValidation = BlockChecksum.Md5 }))
        {
            await stream.WriteAsync(content);
        }

        string[] expected = [.. content.Chunk(1000).Select(Md5Base64).Order()];
        Assert.Equal(expected, recorder.ContentMd5s.Order());
    }

    private static string Md5Base64(byte[] bytes)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(bytes);
        return Convert.ToBase64String(md5.GetHashAndReset());
    }

    private async Task<BlockBlobClient> NewBlobAsync(HttpPipelinePolicy? policy = null)
    {
        var options = new BlobClientOptions();
        if (policy is not null)
        {
            options.AddPolicy(policy, HttpPipelinePosition.PerCall);
        }

        var container = new BlobServiceClient(azurite.ConnectionString, options).GetBlobContainerClient($"writer-{Guid.NewGuid():N}");
        await container.CreateAsync();
        return container.GetBlockBlobClient("part.jsonl");
    }

    /// <summary>The Content-MD5 of every Put Block request, in the order they were sent.</summary>
    private sealed class PutBlockRecorder : HttpPipelineSynchronousPolicy
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _md5s = new();

        public IEnumerable<string> ContentMd5s => _md5s;

        public override void OnSendingRequest(HttpMessage message)
        {
            var query = message.Request.Uri.Query;
            if (query.Contains("comp=block", StringComparison.Ordinal) && !query.Contains("comp=blocklist", StringComparison.Ordinal))
            {
                _md5s.Enqueue(message.Request.Headers.TryGetValue("Content-MD5", out var md5) ? md5 : "(none)");
            }
        }
    }
}
