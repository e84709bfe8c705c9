using System.Buffers;

namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Splits a stream into lines without holding more than one line (and one read buffer) in memory.
/// A line longer than the limit is skipped to its end and reported as too long, never buffered.
/// </summary>
internal sealed class JsonlLineReader : IDisposable
{
    private const int MinimumBuffer = 64 * 1024;

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _endOfStream;
    private int _lineStart;
    private int _lineLength;
    private int _rawLength;

    public JsonlLineReader(Stream stream, int maxLineBytes, int initialBufferBytes = 1024 * 1024)
    {
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(MinimumBuffer, Math.Min(initialBufferBytes, maxLineBytes + 2)));
    }

    /// <summary>1-based number of the current line.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Offset of the current line's first byte in the stream.</summary>
    public long LineOffset { get; private set; }

    /// <summary>Bytes of the current line, its line ending included (also for a line too long to hold).</summary>
    public long RawLength { get; private set; }

    /// <summary>Whether the current line ends with <c>\n</c> (only the last line may not).</summary>
    public bool EndsWithNewline { get; private set; }

    /// <summary>Whether the current line ends with <c>\r\n</c>.</summary>
    public bool EndsWithCrlf { get; private set; }

    /// <summary>Whether the current line was longer than the limit and so was skipped, not read.</summary>
    public bool IsTooLong { get; private set; }

    /// <summary>The current line without its line ending; empty for a line too long.</summary>
    public ReadOnlySpan<byte> Line => _buffer.AsSpan(_lineStart, _lineLength);

    /// <summary>The current line without its line ending, as memory (valid until the next read).</summary>
    public ReadOnlyMemory<byte> LineMemory => _buffer.AsMemory(_lineStart, _lineLength);

    /// <summary>The current line with its line ending, as it stands in the stream (valid until the next read; empty for a line too long).</summary>
    public ReadOnlyMemory<byte> RawLineMemory => _buffer.AsMemory(_lineStart, _rawLength);

    /// <summary>Whether the current line holds nothing but spaces, tabs and a carriage return.</summary>
    public bool IsBlank => !IsTooLong && Line.IndexOfAnyExcept(" \t\r"u8) < 0;


    /// <summary>Moves to the next line; false at the end of the stream.</summary>
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        LineOffset += RawLength;
        RawLength = 0;
        IsTooLong = false;
        var skipped = 0L;
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                return Complete(newline + 1, hasNewline: true, skipped);
            }

            if (_endOfStream)
            {
                return _end > _start || skipped > 0 ? Complete(_end - _start, hasNewline: false, skipped) : false;
            }

            if (_end - _start > _maxLineBytes)
            {
                // Too long to hold: drop what we have and keep reading to the line's end.
                skipped += _end - _start;
                IsTooLong = true;
                _start = _end = 0;
            }
            else if (_start > 0 && (_end == _buffer.Length || _start > _buffer.Length / 2))
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else if (_end == _buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, _maxLineBytes + 2));
                Buffer.BlockCopy(_buffer, _start, larger, 0, _end - _start);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
                _end -= _start;
                _start = 0;
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                _endOfStream = true;
            }

            _end += read;
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private bool Complete(int rawInBuffer, bool hasNewline, long skipped)
    {
        LineNumber++;
        EndsWithNewline = hasNewline;
        RawLength = skipped + rawInBuffer;
        if (skipped > 0 || rawInBuffer - (hasNewline ? 1 : 0) > _maxLineBytes)
        {
            IsTooLong = true;
            EndsWithCrlf = false;
            _lineStart = _start;
            _lineLength = 0;
            _rawLength = 0;
        }
        else
        {
            var length = rawInBuffer - (hasNewline ? 1 : 0);
            EndsWithCrlf = hasNewline && length > 0 && _buffer[_start + length - 1] == (byte)'\r';
            _lineStart = _start;
            _lineLength = EndsWithCrlf ? length - 1 : length;
            _rawLength = rawInBuffer;
        }

        _start += rawInBuffer;
        return true;
    }
}
