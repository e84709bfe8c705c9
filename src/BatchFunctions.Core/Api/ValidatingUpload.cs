using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Storage;

namespace BatchFunctions.Core.Api;

/// <summary>
/// A JSONL body staged as blocks of its blob while the validator reads the same bytes: one block in flight
/// while the next is read, so about 16 MiB are held whatever the body's size. Nothing is committed here.
/// </summary>
internal static class ValidatingUpload
{
    // Uploads are staged in blocks of 4 MiB: two buffers and the validator's share of the pipe.
    private const int BlockSize = 4 * 1024 * 1024;

    /// <summary>
    /// Stages <paramref name="content"/> as blocks of <paramref name="blob"/> (one block in flight while the next
    /// is read) and feeds the same bytes to the validator; answers the block ids and the report.
    /// </summary>
    public static async Task<(List<string> Blocks, JsonlValidationReport Report)> StageAsync(
        Stream content, BlockBlobClient blob, JsonlValidationOptions options, CancellationToken cancellationToken)
    {
        // Block ids of one blob must have one length, and concurrent uploads to the same name must not share
        // ids (a staged block replaces an uncommitted one of the same id): a random prefix and the index.
        var prefix = Guid.NewGuid().ToString("N");
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 2 * BlockSize, resumeWriterThreshold: BlockSize));
        var validation = ValidateAsync(pipe.Reader, options, cancellationToken);
        var blocks = new List<string>();
        var buffers = new[] { ArrayPool<byte>.Shared.Rent(BlockSize), ArrayPool<byte>.Shared.Rent(BlockSize) };
        var staging = Task.CompletedTask;
        try
        {
            for (var turn = 0; ; turn++)
            {
                var buffer = buffers[turn % 2];
                var filled = await FillAsync(content, buffer, cancellationToken);
                if (filled == 0)
                {
                    break;
                }

                // The pipe copies the bytes and pushes back when the validator falls behind.
                await pipe.Writer.WriteAsync(buffer.AsMemory(0, filled), cancellationToken);
                await staging;
                var id = Convert.ToBase64String(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{prefix}-{blocks.Count:D6}")));
                blocks.Add(id);
                staging = blob.StageBlockAsync(id, new MemoryStream(buffer, 0, filled, writable: false), BlockChecksum.Md5Of(buffer.AsSpan(0, filled)), cancellationToken);
            }

            await staging;
            await pipe.Writer.CompleteAsync();
        }
        catch (Exception exception)
        {
            // The other buffer's block may still be uploading: it must end before the buffers go back.
            await pipe.Writer.CompleteAsync(exception);
            await Task.WhenAll(staging, validation).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }

        return (blocks, await validation);
    }

    private static async Task<JsonlValidationReport> ValidateAsync(PipeReader reader, JsonlValidationOptions options, CancellationToken cancellationToken)
    {
        // Off the request's thread, and the reader completed whatever happens, so the writer never waits on a
        // validator that stopped.
        await Task.Yield();
        try
        {
            await using var stream = reader.AsStream(leaveOpen: true);
            return await JsonlValidator.ValidateAsync(stream, options, cancellationToken);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static async Task<int> FillAsync(Stream content, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < BlockSize)
        {
            var read = await content.ReadAsync(buffer.AsMemory(filled, BlockSize - filled), cancellationToken);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }
}
