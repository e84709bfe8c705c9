namespace BatchFunctions.MistralEmulator;

/// <summary>Counts non-blank lines of a byte stream fed in chunks, as <c>num_lines</c> and <c>total_requests</c> need.</summary>
internal sealed class LineCounter
{
    private bool _lineHasContent;

    public long Lines { get; private set; }

    public void Append(ReadOnlySpan<byte> chunk)
    {
        foreach (var b in chunk)
        {
            if (b == (byte)'\n')
            {
                Complete();
            }
            else if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
            {
                _lineHasContent = true;
            }
        }
    }

    /// <summary>Counts a last line without a final newline.</summary>
    public long Finish()
    {
        Complete();
        return Lines;
    }

    public static long Count(Stream stream)
    {
        var counter = new LineCounter();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            counter.Append(buffer.AsSpan(0, read));
        }

        return counter.Finish();
    }

    private void Complete()
    {
        if (_lineHasContent)
        {
            Lines++;
        }

        _lineHasContent = false;
    }
}
