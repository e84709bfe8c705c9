using System.Buffers;
using System.Buffers.Text;

namespace BatchFunctions.Core.Tests.Mistral;

/// <summary>
/// A seekable JSONL stream of any size that exists nowhere in memory: every line has the same length and
/// its bytes are computed from its index, so reading at any position costs one line buffer.
/// </summary>
public sealed class SyntheticJsonlStream : Stream
{
    public const int LineLength = 256;

    private readonly byte[] _line = new byte[LineLength];
    private long _cachedLine = -1;
    private long _position;

    public SyntheticJsonlStream(long lines) => Length = lines * LineLength;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, Length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var written = 0;
        while (written < buffer.Length && _position < Length)
        {
            var index = _position / LineLength;
            var within = (int)(_position % LineLength);
            var chunk = Math.Min(buffer.Length - written, LineLength - within);
            LineAt(index).AsSpan(within, chunk).CopyTo(buffer[written..]);
            written += chunk;
            _position += chunk;
        }

        return written;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private byte[] LineAt(long index)
    {
        if (index == _cachedLine)
        {
            return _line;
        }

        // Built from constant bytes and a formatted number: no string per line, so the stream itself
        // allocates nothing while a test measures what the code under test allocates.
        var span = _line.AsSpan();
        "{\"custom_id\":\"r"u8.CopyTo(span);
        var written = 15;
        Utf8Formatter.TryFormat(index, span[written..], out var digits, new StandardFormat('D', 10));
        written += digits;
        var middle = "\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\""u8;
        middle.CopyTo(span[written..]);
        written += middle.Length;
        var suffix = "\"}]}}\n"u8;
        var padding = LineLength - written - suffix.Length;
        for (var i = 0; i < padding; i++)
        {
            span[written + i] = (byte)('a' + ((index + i) % 26));
        }

        suffix.CopyTo(span[(LineLength - suffix.Length)..]);
        _cachedLine = index;
        return _line;
    }
}
