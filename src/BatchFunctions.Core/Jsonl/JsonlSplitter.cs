namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Partitions a validated input into parts within the per-job limits, streaming each line straight into
/// its part: the parts, concatenated, are the input byte for byte.
/// </summary>
public static class JsonlSplitter
{
    /// <summary>Whether a validated input fits one part as it is, and so needs no copy at all.</summary>
    public static bool FitsInOnePart(JsonlValidationReport report, JsonlSplitOptions options)
    {
        ArgumentNullException.ThrowIfNull(report);
        return FitsInOnePart(report.Requests, report.Bytes, options);
    }

    /// <summary>Whether an input of this many requests and bytes fits one part as it is.</summary>
    public static bool FitsInOnePart(long requests, long bytes, JsonlSplitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return requests <= options.MaxRequestsPerPart && bytes <= options.MaxBytesPerPart;
    }

    /// <summary>
    /// Copies <paramref name="input"/> into parts opened by <paramref name="openPart"/> (index to a writable
    /// stream, disposed here once its part is complete) and describes them.
    /// </summary>
    public static async Task<IReadOnlyList<JsonlPart>> SplitAsync(
        Stream input,
        Func<int, CancellationToken, Task<Stream>> openPart,
        JsonlSplitOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(openPart);
        options ??= new JsonlSplitOptions();
        if (options.MaxRequestsPerPart < 1 || options.MaxBytesPerPart < options.MaxLineBytes + 2L)
        {
            throw new ArgumentException("A part must hold at least one request and one line of the longest accepted size.", nameof(options));
        }

        var parts = new List<JsonlPart>();
        using var reader = new JsonlLineReader(input, options.MaxLineBytes);
        Stream? current = null;
        var first = 1L;
        long lines = 0, requests = 0, bytes = 0;
        try
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.IsTooLong)
                {
                    throw new InvalidDataException($"Line {reader.LineNumber} is longer than {options.MaxLineBytes} bytes: validate the input before splitting it.");
                }

                var isRequest = !reader.IsBlank;
                if (current is not null
                    && ((isRequest && requests == options.MaxRequestsPerPart) || bytes + reader.RawLength > options.MaxBytesPerPart))
                {
                    await current.DisposeAsync();
                    current = null;
                    parts.Add(new JsonlPart(parts.Count, first, lines, requests, bytes));
                    first = reader.LineNumber;
                    lines = requests = bytes = 0;
                }

                current ??= await openPart(parts.Count, cancellationToken);
                await current.WriteAsync(reader.RawLineMemory, cancellationToken);
                lines++;
                bytes += reader.RawLength;
                requests += isRequest ? 1 : 0;
            }

            if (current is not null)
            {
                await current.DisposeAsync();
                current = null;
                parts.Add(new JsonlPart(parts.Count, first, lines, requests, bytes));
            }
        }
        finally
        {
            if (current is not null)
            {
                await current.DisposeAsync();
            }
        }

        return parts;
    }
}
