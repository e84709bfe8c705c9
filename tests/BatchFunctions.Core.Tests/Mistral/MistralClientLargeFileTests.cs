using System.Security.Cryptography;

namespace BatchFunctions.Core.Tests.Mistral;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LargeTransfers
{
    /// <summary>Alone in the process while it runs, so that measured allocations are its own.</summary>
    public const string Name = "Large transfers";
}

/// <summary>A 200 MB upload and download through client and emulator: memory stays far below the file size.</summary>
[Collection(LargeTransfers.Name)]
public sealed class MistralClientLargeFileTests : IAsyncLifetime
{
    private const long Lines = 200L * 1024 * 1024 / SyntheticJsonlStream.LineLength;

    /// <summary>A tenth of the file: buffering it whole, even once, would blow through this.</summary>
    private const long AllocationBudget = 20L * 1024 * 1024;

    private MistralTestHost _host = null!;

    public async Task InitializeAsync() => _host = await MistralTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task UploadThenDownload_200MegabyteFile_StreamsWithoutBufferingIt()
    {
        await using var source = new SyntheticJsonlStream(Lines);
        var expectedHash = await SHA256.HashDataAsync(source);
        source.Position = 0;

        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var file = await _host.Client.UploadFileAsync(source, "large.jsonl");
        var afterUpload = GC.GetTotalAllocatedBytes(precise: true);
        byte[] downloadedHash;
        await using (var download = await _host.Client.DownloadFileAsync(file.Id))
        {
            downloadedHash = await SHA256.HashDataAsync(download);
        }

        var afterDownload = GC.GetTotalAllocatedBytes(precise: true);

        Assert.Equal(source.Length, file.Bytes);
        Assert.Equal(Lines, file.NumLines);
        Assert.Equal(expectedHash, downloadedHash);
        Assert.True(afterUpload - before < AllocationBudget, $"upload allocated {(afterUpload - before) / 1024} KB");
        Assert.True(afterDownload - afterUpload < AllocationBudget, $"download allocated {(afterDownload - afterUpload) / 1024} KB");
    }
}
