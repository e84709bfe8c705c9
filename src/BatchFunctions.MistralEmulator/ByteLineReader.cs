namespace BatchFunctions.MistralEmulator;

/// <summary>Reads a stream line by line as raw bytes, so that invalid UTF-8 can be reported per line.</summary>
internal sealed class ByteLineReader(Stream stream) : IDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>The next line without its line ending, or null at the end of the stream.</summary>
    public byte[]? ReadLine()
    {
        using var pending = new MemoryStream();
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                pending.Write(_buffer, _start, newline - _start);
                _start = newline + 1;
                return TrimCarriageReturn(pending.ToArray());
            }

            pending.Write(_buffer, _start, _end - _start);
            _start = 0;
            _end = stream.Read(_buffer, 0, _buffer.Length);
            if (_end == 0)
            {
                return pending.Length == 0 ? null : TrimCarriageReturn(pending.ToArray());
            }
        }
    }

    public void Dispose() => stream.Dispose();

    private static byte[] TrimCarriageReturn(byte[] line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;
}
