using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace BatchFunctions.Core.Storage;

/// <summary>
/// <paramref name="length"/> bytes of one version of a blob from <paramref name="offset"/>, as a seekable
/// stream (position 0 is the range's first byte): read as one streamed download of exactly that range, so
/// nothing past it is fetched and no read-ahead buffer is held, and rewound (a retried upload) by starting
/// the download again where it is asked to.
/// </summary>
internal sealed class BlobRangeStream(BlobClient blob, long offset, long length, ETag? version) : Stream
{
    private Stream? _download;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            if (value != _position)
            {
                _download?.Dispose();
                _download = null;
                _position = value;
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var allowed = Allowed(buffer.Length);
        if (allowed == 0)
        {
            return 0;
        }

        _download ??= blob.DownloadStreaming(Options()).Value.Content;
        return Advance(_download.Read(buffer[..allowed]));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var allowed = Allowed(buffer.Length);
        if (allowed == 0)
        {
            return 0;
        }

        _download ??= (await blob.DownloadStreamingAsync(Options(), cancellationToken)).Value.Content;
        return Advance(await _download.ReadAsync(buffer[..allowed], cancellationToken));
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _download?.Dispose();
            _download = null;
        }

        base.Dispose(disposing);
    }

    private BlobDownloadOptions Options() => new()
    {
        Range = new HttpRange(offset + _position, length - _position),
        Conditions = version is { } etag ? new BlobRequestConditions { IfMatch = etag } : null,
    };

    private int Allowed(int wanted) => (int)Math.Clamp(length - _position, 0, wanted);

    private int Advance(int read)
    {
        if (read == 0 && _position < length)
        {
            throw new IOException("The blob ended before the range did: it is shorter than its part says.");
        }

        _position += read;
        return read;
    }
}
