using System.Buffers;
using System.Collections;
using System.Text.Json;

namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Turns the parts' output and error files into one results file and one errors file, both in input order,
/// and adds up the usage. Works part by part (a part is a contiguous range of the input), so memory is
/// bounded by one part's custom_id index and the sort buffer; larger sorts spill to disk.
/// </summary>
public static class JsonlMerger
{
    /// <summary>Merges every part, in order, into <paramref name="results"/> (succeeded requests) and <paramref name="errors"/> (the rest).</summary>
    public static async Task<BatchUsage> MergeAsync(
        IReadOnlyList<JsonlMergePart> parts,
        Stream results,
        Stream errors,
        JsonlMergeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(errors);
        options ??= new JsonlMergeOptions();
        var totals = new Totals();

        // One pair of sorters for every part: their buffers are allocated once per merge.
        var temporary = options.TemporaryDirectory ?? Path.GetTempPath();
        await using var succeeded = new ExternalLineSorter(temporary, options.SortBufferBytes / 2);
        await using var failed = new ExternalLineSorter(temporary, options.SortBufferBytes / 2);

        // One index too, emptied between parts: its tables grow once, to the largest part, not once per part.
        var index = new CustomIdIndex(1024);
        foreach (var part in parts)
        {
            index.Clear();
            await MergePartAsync(part, index, results, errors, options, totals, succeeded, failed, cancellationToken);
            await succeeded.ResetAsync();
            await failed.ResetAsync();
        }

        return totals.ToUsage();
    }

    private static async Task MergePartAsync(
        JsonlMergePart part, CustomIdIndex index, Stream results, Stream errors, JsonlMergeOptions options, Totals totals, ExternalLineSorter succeeded, ExternalLineSorter failed, CancellationToken cancellationToken)
    {
        var requests = await IndexInputAsync(part, index, options, cancellationToken);
        totals.Requests += requests;
        var seen = new BitArray(requests);
        var parser = new ResultLineParser();

        // The first request without a line yet: every line still to come is of a later request (or none), so
        // a line for this one can be written at once, and a file in input order is never held and sorted.
        var next = 0;

        // Output before errors: when a request has lines in both, its success is the one kept.
        foreach (var open in new[] { part.OpenOutput, part.OpenErrors })
        {
            await using var stream = await open(cancellationToken);
            if (stream is null)
            {
                continue;
            }

            using var reader = new JsonlLineReader(stream, options.MaxLineBytes);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.IsBlank)
                {
                    continue;
                }

                var parsed = !reader.IsTooLong && parser.TryParse(reader.Line);
                long key = long.MaxValue;
                if (parsed && parser.HasCustomId && index.TryGet(parser.CustomId, out var ordinal))
                {
                    if (seen[ordinal])
                    {
                        totals.Duplicates++;
                        continue;
                    }

                    seen[ordinal] = true;
                    key = ordinal;
                }
                else
                {
                    totals.Unmatched++;
                }

                var isFailure = !parsed || parser.Failed;
                if (key != long.MaxValue)
                {
                    totals.Count(parser, isFailure);
                }

                var isNext = key == next;
                while (next < requests && seen[next])
                {
                    next++;
                }

                var line = reader.IsTooLong ? TooLongLine(reader.LineNumber) : reader.LineMemory;
                await (isFailure ? failed.AddAsync(key, line, isNext, errors, cancellationToken) : succeeded.AddAsync(key, line, isNext, results, cancellationToken));
            }
        }

        var missing = requests - Count(seen);
        if (missing > 0 && !options.WriteUnanswered)
        {
            totals.Missing += missing;
        }
        else if (missing > 0)
        {
            var reason = part.Unanswered ?? UnansweredReason.Missing;
            if (reason.NotProcessed)
            {
                totals.NotProcessed += missing;
            }
            else
            {
                totals.Missing += missing;
            }

            await AddMissingAsync(part, reason, seen, failed, options, cancellationToken);
        }

        await succeeded.WriteToAsync(results, cancellationToken);
        await failed.WriteToAsync(errors, cancellationToken);
    }

    /// <summary>Fills <paramref name="index"/> with the part's ids and their ordinals; answers how many requests the part has.</summary>
    internal static async Task<int> IndexInputAsync(JsonlMergePart part, CustomIdIndex index, JsonlMergeOptions options, CancellationToken cancellationToken)
    {
        index.EnsureCapacity(part.Requests);
        if (part.OpenIdHashes is { } openHashes)
        {
            return await IndexHashesAsync(openHashes, index, cancellationToken);
        }

        var ordinal = 0;
        await using var input = await part.OpenInput(cancellationToken);
        using var reader = new JsonlLineReader(input, options.MaxLineBytes);
        var scratch = new byte[256];
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.IsBlank)
            {
                continue;
            }

            // Ordinals count requests, so every request keeps its place even if its id is unreadable.
            if (TryReadCustomId(reader.Line, ref scratch, out var length))
            {
                index.TryAdd(scratch.AsSpan(0, length), ordinal);
            }

            ordinal++;
        }

        return ordinal;
    }

    private static async Task<int> IndexHashesAsync(Func<CancellationToken, Task<Stream>> openHashes, CustomIdIndex index, CancellationToken cancellationToken)
    {
        var ordinal = 0;
        await using var hashes = await openHashes(cancellationToken);
        await CustomIdHashes.ReadAsync(hashes, hash =>
        {
            // 0 is a request whose id could not be read: it keeps its place, and no line can match it.
            if (hash != 0)
            {
                index.TryAddHash(hash, ordinal);
            }

            ordinal++;
        }, cancellationToken);
        return ordinal;
    }

    private static async Task AddMissingAsync(JsonlMergePart part, UnansweredReason reason, BitArray seen, ExternalLineSorter failed, JsonlMergeOptions options, CancellationToken cancellationToken)
    {
        var message = JsonEncodedText.Encode(reason.Message);
        var code = JsonEncodedText.Encode(reason.Code);
        await using var input = await part.OpenInput(cancellationToken);
        using var reader = new JsonlLineReader(input, options.MaxLineBytes);
        var scratch = new byte[256];
        var buffer = new ArrayBufferWriter<byte>();
        var ordinal = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.IsBlank)
            {
                continue;
            }

            if (!seen[ordinal])
            {
                buffer.ResetWrittenCount();
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    writer.WriteStartObject();
                    if (TryReadCustomId(reader.Line, ref scratch, out var length))
                    {
                        writer.WriteString("custom_id"u8, scratch.AsSpan(0, length));
                    }
                    else
                    {
                        writer.WriteNull("custom_id"u8);
                    }

                    writer.WriteNull("response"u8);
                    writer.WriteStartObject("error"u8);
                    writer.WriteString("message"u8, message);
                    writer.WriteString("code"u8, code);
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }

                await failed.AddAsync(ordinal, buffer.WrittenMemory, cancellationToken);
            }

            ordinal++;
        }
    }

    private static bool TryReadCustomId(ReadOnlySpan<byte> line, ref byte[] scratch, out int length)
    {
        length = 0;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("custom_id"u8);
                reader.Read();
                if (isId)
                {
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return false;
                    }

                    if (scratch.Length < reader.ValueSpan.Length)
                    {
                        scratch = new byte[reader.ValueSpan.Length];
                    }

                    length = reader.CopyString(scratch);
                    return true;
                }

                reader.Skip();
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static ReadOnlyMemory<byte> TooLongLine(long lineNumber) =>
        System.Text.Encoding.UTF8.GetBytes(
            "{\"custom_id\":null,\"response\":null,\"error\":{\"message\":\"Result line "
            + lineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + " was too long to read.\",\"code\":\"line_too_long\"}}");

    private static int Count(BitArray bits)
    {
        var count = 0;
        foreach (bool bit in bits)
        {
            count += bit ? 1 : 0;
        }

        return count;
    }

    private sealed class Totals
    {
        /// <summary>Per model: requests, prompt, completion and total tokens.</summary>
        private readonly Dictionary<string, long[]> _models = new(StringComparer.Ordinal);

        public long Requests { get; set; }

        public long Missing { get; set; }

        public long NotProcessed { get; set; }

        public long Unmatched { get; set; }

        public long Duplicates { get; set; }

        private long Succeeded { get; set; }

        private long Failed { get; set; }

        private long PromptTokens { get; set; }

        private long CompletionTokens { get; set; }

        private long TotalTokens { get; set; }

        public void Count(ResultLineParser line, bool isFailure)
        {
            if (isFailure)
            {
                Failed++;
                return;
            }

            Succeeded++;
            var total = line.TotalTokens > 0 ? line.TotalTokens : line.PromptTokens + line.CompletionTokens;
            PromptTokens += line.PromptTokens;
            CompletionTokens += line.CompletionTokens;
            TotalTokens += total;
            var model = line.Model ?? "(unknown)";
            if (!_models.TryGetValue(model, out var usage))
            {
                _models[model] = usage = new long[4];
            }

            usage[0]++;
            usage[1] += line.PromptTokens;
            usage[2] += line.CompletionTokens;
            usage[3] += total;
        }

        public BatchUsage ToUsage() => new()
        {
            Requests = Requests,
            Succeeded = Succeeded,
            Failed = Failed,
            Missing = Missing,
            NotProcessed = NotProcessed,
            Unmatched = Unmatched,
            Duplicates = Duplicates,
            PromptTokens = PromptTokens,
            CompletionTokens = CompletionTokens,
            TotalTokens = TotalTokens,
            Models = _models.ToDictionary(pair => pair.Key, pair => new ModelUsage(pair.Value[0], pair.Value[1], pair.Value[2], pair.Value[3]), StringComparer.Ordinal),
        };
    }
}
