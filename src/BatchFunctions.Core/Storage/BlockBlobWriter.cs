using System.Buffers;
using System.Globalization;
using System.Text;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace BatchFunctions.Core.Storage;

/// <summary>
/// Writes a block blob as blocks of <paramref name="blockBytes"/>, up to <paramref name="maxInFlight"/> of them
/// staged at once, and commits them only in <see cref="CommitAsync"/>. Each Put Block waits on a round trip: one
/// at a time (the SDK's write stream), a 50 MB merged part took 2 s to reach Azurite. A writer disposed without
/// a commit (a merge that failed halfway) leaves the blob as it was, its staged blocks uncommitted, which the
/// service discards.
/// </summary>
internal sealed class BlockBlobWriter(BlockBlobClient blob, int blockBytes, int maxInFlight) : Stream
{
    // Block buffers come from a pool of their own that keeps four (one writer's worth): the shared pool keeps
    // arrays per thread and per core, so merges that ran on different threads would each leave theirs behind.
    private static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(4 * 1024 * 1024, 4);

    private readonly List<string> _blocks = [];
    private readonly Queue<(Task Staged, byte[] Buffer)> _inFlight = new();

    // Block ids of one blob must be of one length; a prefix of its own keeps a second writer's blocks apart.
    private readonly string _prefix = Guid.NewGuid().ToString("N");
    private byte[]? _buffer;
    private int _used;
    private long _length;
    private bool _done;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_done;

    public override long Length => _length;

    public override long Position { get => _length; set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        while (buffer.Length > 0)
        {
            _buffer ??= Buffers.Rent(blockBytes);
            var count = Math.Min(blockBytes - _used, buffer.Length);
            buffer.Span[..count].CopyTo(_buffer.AsSpan(_used));
            (_used, _length, buffer) = (_used + count, _length + count, buffer[count..]);
            if (_used == blockBytes)
            {
                await StageAsync(cancellationToken);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Stages what is left, waits for every block, and commits them in order (with <paramref name="headers"/>) as the blob's content.</summary>
    public async Task CommitAsync(BlobHttpHeaders? headers, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (_used > 0)
        {
            await StageAsync(cancellationToken);
        }

        while (_inFlight.Count > 0)
        {
            await CompleteOldestAsync();
        }

        await blob.CommitBlockListAsync(_blocks, new CommitBlockListOptions { HttpHeaders = headers }, cancellationToken);
        _done = true;
    }

    public override async ValueTask DisposeAsync()
    {
        _done = true;
        while (_inFlight.Count > 0)
        {
            try
            {
                await CompleteOldestAsync();
            }
            catch (Exception exception) when (exception is Azure.RequestFailedException or AggregateException or IOException or OperationCanceledException)
            {
                // Abandoned: the blocks are never committed, and the failure that made us abandon them is the one reported.
            }
        }

        ReturnBuffer();
        await base.DisposeAsync();
    }

    // Lines arrive through WriteAsync; a blocking write would hold a thread for each round trip.
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("BlockBlobWriter writes asynchronously only.");

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        // Synchronous disposal cannot wait for staged blocks; DisposeAsync is the way out.
        _done = true;
        base.Dispose(disposing);
    }

    private async Task StageAsync(CancellationToken cancellationToken)
    {
        if (_inFlight.Count >= maxInFlight)
        {
            await CompleteOldestAsync();
        }

        var id = Convert.ToBase64String(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{_prefix}{_blocks.Count:D7}")));
        _blocks.Add(id);
        var buffer = _buffer!;
        var content = new MemoryStream(buffer, 0, _used, writable: false);
        var options = BlockChecksum.Md5Of(buffer.AsSpan(0, _used));
        (_buffer, _used) = (null, 0);
        _inFlight.Enqueue((blob.StageBlockAsync(id, content, options, cancellationToken), buffer));
    }

    private async Task CompleteOldestAsync()
    {
        var (staged, buffer) = _inFlight.Dequeue();
        try
        {
            await staged;
        }
        finally
        {
            Buffers.Return(buffer);
        }
    }

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            Buffers.Return(buffer);
        }
    }
}
