using System.Security.Cryptography;
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

    private async Task<BlockBlobClient> NewBlobAsync()
    {
        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient($"writer-{Guid.NewGuid():N}");
        await container.CreateAsync();
        return container.GetBlockBlobClient("part.jsonl");
    }
}
