namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Combines an earlier attempt's result (or error) lines with a retry's into one file for the whole original
/// input: both are in input order, so one streaming pass interleaves them by each line's place in the
/// original input (its custom_id's ordinal), holding one line of each at a time.
/// </summary>
internal static class JsonlCombiner
{
    /// <summary>
    /// Writes the lines of <paramref name="earlier"/> (but those whose custom_id is in <paramref name="replaced"/>)
    /// and of <paramref name="retry"/> to <paramref name="destination"/> in original input order; answers how many.
    /// A line whose custom_id is not in the original input is written as soon as it is read.
    /// </summary>
    public static async Task<long> CombineAsync(Stream? earlier, Stream? retry, CustomIdIndex ordinals, CustomIdSet? replaced, Stream destination, CancellationToken cancellationToken)
    {
        var first = earlier is null ? null : new Cursor(earlier, ordinals, replaced);
        var second = retry is null ? null : new Cursor(retry, ordinals, null);
        try
        {
            var written = 0L;
            var hasFirst = first is not null && await first.MoveNextAsync(cancellationToken);
            var hasSecond = second is not null && await second.MoveNextAsync(cancellationToken);
            while (hasFirst || hasSecond)
            {
                // On a tie (a request in both, which a retry should not give) the retry's line, the latest, goes first.
                var takeFirst = hasFirst && (!hasSecond || first!.Ordinal < second!.Ordinal);
                var cursor = takeFirst ? first! : second!;
                await destination.WriteAsync(cursor.Line, cancellationToken);
                destination.WriteByte((byte)'\n');
                written++;
                if (takeFirst)
                {
                    hasFirst = await first!.MoveNextAsync(cancellationToken);
                }
                else
                {
                    hasSecond = await second!.MoveNextAsync(cancellationToken);
                }
            }

            return written;
        }
        finally
        {
            first?.Dispose();
            second?.Dispose();
        }
    }

    /// <summary>One input's current line and its ordinal, skipping blank lines and replaced requests.</summary>
    private sealed class Cursor(Stream stream, CustomIdIndex ordinals, CustomIdSet? replaced) : IDisposable
    {
        private readonly JsonlLineReader _reader = new(stream, 64 * 1024 * 1024);
        private readonly ResultLineParser _parser = new();

        public long Ordinal { get; private set; }

        public ReadOnlyMemory<byte> Line => _reader.LineMemory;

        public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
        {
            while (await _reader.ReadAsync(cancellationToken))
            {
                if (_reader.IsBlank || _reader.IsTooLong)
                {
                    continue;
                }

                var known = _parser.TryParse(_reader.Line) && _parser.HasCustomId;
                if (known && replaced is not null && replaced.Contains(CustomIdSet.Hash(_parser.CustomId)))
                {
                    continue;
                }

                Ordinal = known && ordinals.TryGet(_parser.CustomId, out var ordinal) ? ordinal : -1;
                return true;
            }

            return false;
        }

        public void Dispose() => _reader.Dispose();
    }
}
