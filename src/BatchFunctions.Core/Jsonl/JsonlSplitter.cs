namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Partitions a validated input into staged copies of its parts (cut by <see cref="JsonlPartPlanner"/>),
/// streaming each line straight into its part: the parts, concatenated, are the input byte for byte. The
/// workflow now plans parts while it validates and uploads them as ranges of the input; this copy serves
/// batches whose validation was recorded before that, and the benchmark.
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
        var index = 0;
        var planner = new JsonlPartPlanner(options);
        using var reader = new JsonlLineReader(input, options.MaxLineBytes);
        Stream? current = null;
        try
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.IsTooLong)
                {
                    throw new InvalidDataException($"Line {reader.LineNumber} is longer than {options.MaxLineBytes} bytes: validate the input before splitting it.");
                }

                if (await planner.AddAsync(reader.RawLength, !reader.IsBlank, 0, cancellationToken) && current is not null)
                {
                    await current.DisposeAsync();
                    current = null;
                }

                current ??= await openPart(index++, cancellationToken);
                await current.WriteAsync(reader.RawLineMemory, cancellationToken);
            }
        }
        finally
        {
            if (current is not null)
            {
                await current.DisposeAsync();
            }
        }

        return await planner.CompleteAsync(cancellationToken);
    }
}
