using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using BatchFunctions.Core.Mistral;

namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Validates a JSONL batch input in one streaming pass, never holding the file: every line is checked
/// (it never stops at the first error) and the result is data, not an exception.
/// </summary>
public static class JsonlValidator
{
    /// <summary>Reads <paramref name="input"/> to its end and reports what is wrong with it.</summary>
    public static Task<JsonlValidationReport> ValidateAsync(Stream input, JsonlValidationOptions? options = null, CancellationToken cancellationToken = default) =>
        ValidateAsync(input, options, null, cancellationToken);

    /// <summary>
    /// Reads <paramref name="input"/> to its end and reports what is wrong with it, giving every line to
    /// <paramref name="planner"/> on the way (with its custom_id's hash), so that the parts of a valid input
    /// are known when its validation ends.
    /// </summary>
    /// <remarks>
    /// Lines are independent but for their custom_ids being unique and their count, so they are checked in
    /// batches on every core while this method reads the next ones; the batches' findings are then taken in
    /// input order (duplicates, the request count, the planner), so the report is the same as one core's.
    /// </remarks>
    public static async Task<JsonlValidationReport> ValidateAsync(Stream input, JsonlValidationOptions? options, JsonlPartPlanner? planner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= new JsonlValidationOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxLineBytes, 1, nameof(options));

        var rules = new LineRules(options);
        var run = new Run(options, planner);
        var inFlight = new Queue<(LineBatch Batch, Task Checked)>();
        var spare = new Stack<LineBatch>();
        var limit = Math.Max(2, Environment.ProcessorCount + 1);
        var batch = new LineBatch { HoldsFirstLine = true };
        try
        {
            // This loop only moves bytes: it fills a batch's buffer, hands the whole lines in it to a check
            // on another core and carries the unfinished line over to the next batch. Finding the lines is
            // the checks' work, so one reader keeps every core busy.
            var filled = 0;
            var searched = 0;
            while (true)
            {
                var ended = false;
                while (filled < batch.Capacity)
                {
                    var read = await input.ReadAsync(batch.Free(filled), cancellationToken);
                    if (read == 0)
                    {
                        ended = true;
                        break;
                    }

                    filled += read;
                }

                if (ended)
                {
                    batch.Used = filled;
                    await DispatchAsync(batch);
                    batch = null;
                    break;
                }

                var last = batch.Bytes(searched, filled - searched).LastIndexOf((byte)'\n');
                if (last >= 0)
                {
                    var next = NextBatch();
                    var carried = filled - (searched + last + 1);
                    next.CarryFrom(batch, searched + last + 1, carried);
                    batch.Used = searched + last + 1;
                    await DispatchAsync(batch);
                    batch = next;
                    filled = searched = carried;
                }
                else if (filled <= options.MaxLineBytes)
                {
                    // One line fills the buffer but may still be within the limit: make room for it.
                    batch.Grow(options.MaxLineBytes + 2);
                    searched = filled;
                }
                else
                {
                    // Too long to hold: count it to its end without keeping it, as a line of its own.
                    if (batch.LeadingTooLong > 0)
                    {
                        batch.Used = 0;
                        await DispatchAsync(batch);
                        batch = NextBatch();
                    }

                    (filled, ended) = await SkipLineAsync(batch, filled);
                    searched = 0;
                    if (ended)
                    {
                        await DispatchAsync(batch);
                        batch = null;
                        break;
                    }
                }
            }

            while (inFlight.Count > 0)
            {
                await TakeOldestAsync();
            }
        }
        finally
        {
            // On a failure, let the checks still running end before their buffers go back to the pool.
            foreach (var (pending, check) in inFlight)
            {
                await check.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                pending.Dispose();
            }

            batch?.Dispose();
            foreach (var unused in spare)
            {
                unused.Dispose();
            }
        }

        return run.Finish();

        LineBatch NextBatch() => spare.Count > 0 ? spare.Pop() : new LineBatch();

        // Reads past the rest of a line too long to hold; what follows its newline is left at the batch's start.
        async Task<(int Filled, bool Ended)> SkipLineAsync(LineBatch target, long skipped)
        {
            while (true)
            {
                var read = await input.ReadAsync(target.Free(0), cancellationToken);
                if (read == 0)
                {
                    target.LeadingTooLong = skipped;
                    target.LeadingTooLongEndsWithNewline = false;
                    target.Used = 0;
                    return (0, true);
                }

                var newline = target.Bytes(0, read).IndexOf((byte)'\n');
                if (newline < 0)
                {
                    skipped += read;
                    continue;
                }

                target.LeadingTooLong = skipped + newline + 1;
                target.LeadingTooLongEndsWithNewline = true;
                target.CarryFrom(target, newline + 1, read - newline - 1);
                return (read - newline - 1, false);
            }
        }

        async Task DispatchAsync(LineBatch full)
        {
            if (full.Used == 0 && full.LeadingTooLong == 0)
            {
                full.Reset();
                spare.Push(full);
                return;
            }

            inFlight.Enqueue((full, Task.Run(() => new LineChecker(rules, full).CheckAll(), cancellationToken)));
            while (inFlight.Count >= limit)
            {
                await TakeOldestAsync();
            }
        }

        async Task TakeOldestAsync()
        {
            var (done, check) = inFlight.Dequeue();
            try
            {
                await check;
                await run.TakeAsync(done, cancellationToken);
            }
            catch
            {
                done.Dispose();
                throw;
            }

            done.Reset();
            spare.Push(done);
        }
    }

    /// <summary>What every batch of a pass checks against: the options and the endpoint's rule, read-only.</summary>
    private sealed class LineRules(JsonlValidationOptions options)
    {
        public JsonlValidationOptions Options { get; } = options;

        public byte[]? Model { get; } = options.Model is null ? null : Encoding.UTF8.GetBytes(options.Model);

        public EndpointRule Rule { get; } = EndpointRule.For(options.Endpoint);
    }

    /// <summary>One line of a batch: where it is, and what its check found.</summary>
    private struct LineEntry
    {
        public long Number;
        public long RawLength;
        public int Start;
        public int Length;
        public bool TooLong;
        public bool Crlf;
        public bool EndsWithNewline;
        public bool Blank;
        public ulong Hash;
        public int ErrorStart;
        public int ErrorEnd;
        public int WarningStart;
        public int WarningEnd;

        /// <summary>Where among the line's errors a duplicate custom_id belongs; -1 when it has no id to check.</summary>
        public int DuplicateAt;

        /// <summary>Bytes of prompt text in the body's input (message contents, inputs), for the estimate.</summary>
        public long PromptBytes;

        public int Messages;

        public long MaxTokens;

        public bool HasMaxTokens;
    }

    /// <summary>
    /// A run of whole lines as read from the input (and, first, a line too long to have been kept, if one
    /// came before them); the check finds the lines in it and what is wrong with each.
    /// </summary>
    private sealed class LineBatch : IDisposable
    {
        private const int DefaultBytes = 1024 * 1024;

        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(DefaultBytes);
        private LineEntry[] _lines = new LineEntry[1024];

        /// <summary>Whether the input's first line is the first here (only it may start with a byte order mark).</summary>
        public bool HoldsFirstLine { get; set; }

        /// <summary>Bytes of whole lines at the buffer's start (at the input's end, the last line's too).</summary>
        public int Used { get; set; }

        /// <summary>Bytes, line ending included, of a line too long to keep that comes before the others; 0 when none does.</summary>
        public long LeadingTooLong { get; set; }

        public bool LeadingTooLongEndsWithNewline { get; set; }

        /// <summary>Lines found by the check, each numbered from 1 within the batch.</summary>
        public int Count { get; private set; }

        public int Capacity => _buffer.Length;

        public List<JsonlIssue> Errors { get; } = [];

        public List<JsonlIssue> Warnings { get; } = [];

        public ref LineEntry this[int index] => ref _lines[index];

        public ReadOnlySpan<byte> Line(in LineEntry entry) => _buffer.AsSpan(entry.Start, entry.Length);

        public Memory<byte> Free(int filled) => _buffer.AsMemory(filled);

        public ReadOnlySpan<byte> Bytes(int start, int length) => _buffer.AsSpan(start, length);

        /// <summary>Starts this batch with <paramref name="length"/> bytes of <paramref name="source"/> (the unfinished line it ends with).</summary>
        public void CarryFrom(LineBatch source, int start, int length)
        {
            if (length > _buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(length);
            }

            Buffer.BlockCopy(source._buffer, start, _buffer, 0, length);
        }

        /// <summary>Doubles the buffer, up to <paramref name="most"/> bytes, keeping what it holds.</summary>
        public void Grow(int most)
        {
            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(_buffer.Length * 2L, most));
            Buffer.BlockCopy(_buffer, 0, larger, 0, _buffer.Length);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        /// <summary>Records the next line found; its number within the batch is its index plus one.</summary>
        public ref LineEntry AddLine()
        {
            if (Count == _lines.Length)
            {
                Array.Resize(ref _lines, _lines.Length * 2);
            }

            _lines[Count] = new LineEntry { Number = Count + 1, DuplicateAt = -1 };
            return ref _lines[Count++];
        }

        /// <summary>Empties the batch for reuse; a buffer grown for a long line goes back to the pool.</summary>
        public void Reset()
        {
            if (_buffer.Length > DefaultBytes * 2)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(DefaultBytes);
            }

            HoldsFirstLine = false;
            Used = 0;
            LeadingTooLong = 0;
            LeadingTooLongEndsWithNewline = false;
            Count = 0;
            Errors.Clear();
            Warnings.Clear();
        }

        public void Dispose()
        {
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }
        }
    }

    /// <summary>The state of one validation pass: counts, the issues kept, the custom_ids seen, and the planner, fed batch by batch in input order.</summary>
    private sealed class Run(JsonlValidationOptions options, JsonlPartPlanner? planner)
    {
        // The shortest request line, {"custom_id":"a","body":{}} and its newline, has 28 bytes.
        private readonly CustomIdSet _ids = new(options.ExpectedBytes is { } bytes ? Math.Min(bytes / 28, options.MaxRequests + 1) : 0);
        private readonly List<JsonlIssue> _errors = [];
        private readonly List<JsonlIssue> _warnings = [];
        private long _errorCount;
        private long _warningCount;
        private bool _crlfReported;
        private bool _lastEndsWithNewline = true;
        private bool _lastWasBlank = true;

        public long Requests { get; private set; }

        private long _lines;
        private long _bytes;
        private long _promptBytes;
        private long _messages;
        private long _maxTokens;
        private long _withoutMaxTokens;

        /// <summary>Takes a checked batch's findings, line by line, in the order one pass over the lines would have made them.</summary>
        public async ValueTask TakeAsync(LineBatch batch, CancellationToken cancellationToken)
        {
            // The check numbered the batch's lines from 1; this is where they stand in the input.
            var before = _lines;
            _lines += batch.Count;
            for (var i = 0; i < batch.Count; i++)
            {
                var entry = batch[i];
                entry.Number += before;
                _bytes += entry.RawLength;
                _lastEndsWithNewline = entry.EndsWithNewline;
                _lastWasBlank = !entry.TooLong && entry.Blank;
                if (entry.TooLong)
                {
                    CountRequest(entry.Number);
                    Error(new JsonlIssue(entry.Number, null, JsonlCodes.LineTooLong, string.Create(CultureInfo.InvariantCulture, $"The line has {entry.RawLength} bytes; at most {options.MaxLineBytes} are accepted.")));
                }
                else
                {
                    if (!entry.Blank)
                    {
                        CountRequest(entry.Number);
                        _promptBytes += entry.PromptBytes;
                        _messages += entry.Messages;
                        _maxTokens += entry.MaxTokens;
                        _withoutMaxTokens += entry.HasMaxTokens ? 0 : 1;
                    }

                    var duplicate = entry.DuplicateAt >= 0 && !_ids.AddHash(entry.Hash);
                    for (var k = entry.ErrorStart; k <= entry.ErrorEnd; k++)
                    {
                        if (duplicate && k == entry.DuplicateAt)
                        {
                            Error(DuplicateIssue(entry.Number, batch.Line(entry)));
                        }

                        if (k < entry.ErrorEnd)
                        {
                            Error(At(batch.Errors[k], before));
                        }
                    }

                    for (var k = entry.WarningStart; k < entry.WarningEnd; k++)
                    {
                        Warning(At(batch.Warnings[k], before));
                    }

                    if (entry.Crlf && !_crlfReported)
                    {
                        _crlfReported = true;
                        Warning(new JsonlIssue(entry.Number, null, JsonlCodes.CrlfLineEndings, "Lines end with CRLF (this is the first); they are accepted, though JSONL expects LF."));
                    }
                }

                if (planner is not null)
                {
                    await planner.AddAsync(entry.RawLength, entry.TooLong || !entry.Blank, entry.TooLong ? 0 : entry.Hash, cancellationToken);
                }
            }
        }

        public JsonlValidationReport Finish()
        {
            var lines = _lines;
            var bytes = _bytes;
            if (lines > 0 && !_lastEndsWithNewline && !_lastWasBlank)
            {
                Warning(new JsonlIssue(lines, null, JsonlCodes.MissingFinalNewline, "The last line has no newline at its end; it is accepted as a request."));
            }

            if (Requests == 0)
            {
                Error(new JsonlIssue(0, null, JsonlCodes.EmptyFile, "The input holds no request: each line must be {\"custom_id\": ..., \"body\": {...}}."));
            }

            return new JsonlValidationReport
            {
                Requests = Requests,
                Lines = lines,
                Bytes = bytes,
                ErrorCount = _errorCount,
                WarningCount = _warningCount,
                Errors = _errors.OrderBy(e => e.Line).ToList(),
                Warnings = _warnings,
                PromptTextBytes = _promptBytes,
                Messages = _messages,
                MaxTokens = _maxTokens,
                RequestsWithoutMaxTokens = _withoutMaxTokens,
            };
        }

        private static JsonlIssue At(JsonlIssue issue, long before) => before == 0 ? issue : issue with { Line = issue.Line + before };

        private static JsonlIssue DuplicateIssue(long number, ReadOnlySpan<byte> line) =>
            new(number, "custom_id", JsonlCodes.DuplicateCustomId, $"custom_id '{LineChecker.Shorten(LineChecker.ReadCustomId(line))}' is used by an earlier line; each must be unique.");

        private void CountRequest(long line)
        {
            Requests++;
            if (Requests == options.MaxRequests + 1)
            {
                Error(new JsonlIssue(line, null, JsonlCodes.TooManyRequests, string.Create(CultureInfo.InvariantCulture, $"The input holds more than {options.MaxRequests} requests, the most one batch may have in flight; split it into several files.")));
            }
        }

        private void Error(JsonlIssue issue)
        {
            _errorCount++;
            if (_errors.Count < options.MaxIssues)
            {
                _errors.Add(issue);
            }
        }

        private void Warning(JsonlIssue issue)
        {
            _warningCount++;
            if (_warnings.Count < options.MaxIssues)
            {
                _warnings.Add(issue);
            }
        }
    }

    /// <summary>Checks the lines of one batch on its own (any thread): everything but what needs the lines before it.</summary>
    private sealed class LineChecker(LineRules rules, LineBatch batch)
    {
        private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

        private readonly JsonlValidationOptions _options = rules.Options;
        private readonly byte[]? _model = rules.Model;
        private readonly EndpointRule _rule = rules.Rule;
        private int _current;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void CheckAll()
        {
            if (batch.LeadingTooLong > 0)
            {
                ref var first = ref batch.AddLine();
                first.RawLength = batch.LeadingTooLong;
                first.TooLong = true;
                first.EndsWithNewline = batch.LeadingTooLongEndsWithNewline;
            }

            var bytes = batch.Bytes(0, batch.Used);
            var position = 0;
            while (position < bytes.Length)
            {
                var newline = bytes[position..].IndexOf((byte)'\n');
                var raw = newline < 0 ? bytes.Length - position : newline + 1;
                var length = newline < 0 ? raw : raw - 1;
                ref var entry = ref batch.AddLine();
                entry.RawLength = raw;
                entry.EndsWithNewline = newline >= 0;
                entry.ErrorStart = entry.ErrorEnd = batch.Errors.Count;
                entry.WarningStart = entry.WarningEnd = batch.Warnings.Count;
                if (length > _options.MaxLineBytes)
                {
                    entry.TooLong = true;
                }
                else
                {
                    entry.Crlf = newline >= 0 && length > 0 && bytes[position + length - 1] == (byte)'\r';
                    entry.Start = position;
                    entry.Length = entry.Crlf ? length - 1 : length;
                    _current = batch.Count - 1;
                    entry.Blank = ValidateLine(batch.Line(entry), entry.Number);
                    entry.ErrorEnd = batch.Errors.Count;
                    entry.WarningEnd = batch.Warnings.Count;
                }

                position += raw;
            }
        }

        /// <summary>The custom_id of a line known to have a readable one (its text, unescaped).</summary>
        public static string ReadCustomId(ReadOnlySpan<byte> line)
        {
            var reader = new Utf8JsonReader(line[(line.StartsWith("\uFEFF"u8) ? 3 : 0)..], ReaderOptions);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("custom_id"u8);
                reader.Read();
                if (isId)
                {
                    return reader.GetString()!;
                }

                reader.Skip();
            }

            return string.Empty;
        }

        public static string Shorten(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 61), "...");

        /// <summary>Checks one line; returns whether it was blank.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool ValidateLine(ReadOnlySpan<byte> line, long number)
        {
            if (number == 1 && batch.HoldsFirstLine && line.StartsWith("\uFEFF"u8))
            {
                Warning(1, null, JsonlCodes.ByteOrderMark, "The file starts with a UTF-8 byte order mark; it is ignored, though JSONL should not have one.");
                line = line[3..];
            }

            if (line.IndexOfAnyExcept(" \t\r"u8) < 0)
            {
                Warning(number, null, JsonlCodes.BlankLine, "Blank line: skipped.");
                return true;
            }

            if (!Utf8.IsValid(line))
            {
                Error(number, null, JsonlCodes.InvalidUtf8, "The line is not valid UTF-8; save the file as UTF-8.");
                return false;
            }

            var reader = new JsonTokenizer(line, ReaderOptions.MaxDepth);
            try
            {
                ValidateRequest(ref reader, number);
            }
            catch (JsonException exception)
            {
                Error(number, null, JsonlCodes.InvalidJson, string.Create(CultureInfo.InvariantCulture, $"The line is not valid JSON (near byte {(exception.BytePositionInLine ?? 0) + 1})."));
            }

            return false;
        }

        private void Error(long line, string? field, string code, string message) => batch.Errors.Add(new JsonlIssue(line, field, code, message));

        private void Warning(long line, string? field, string code, string message) => batch.Warnings.Add(new JsonlIssue(line, field, code, message));

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void ValidateRequest(ref JsonTokenizer reader, long number)
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                while (reader.Read())
                {
                }

                Error(number, null, JsonlCodes.NotAnObject, "Each line must be a JSON object: {\"custom_id\": ..., \"body\": {...}}.");
                return;
            }

            var hasCustomId = false;
            var hasBody = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("custom_id"u8))
                {
                    reader.Read();
                    hasCustomId = true;
                    ValidateCustomId(ref reader, number);
                }
                else if (reader.ValueTextEquals("body"u8))
                {
                    reader.Read();
                    hasBody = true;
                    ValidateBody(ref reader, number);
                }
                else
                {
                    var name = reader.GetString()!;
                    if (name is "method" or "url")
                    {
                        Warning(number, name, JsonlCodes.OpenAiKeys, $"'{name}' is an OpenAI batch key; Mistral takes the endpoint from the job, so it is not needed.");
                    }
                    else
                    {
                        Warning(number, name, JsonlCodes.UnknownField, $"Unknown key '{Shorten(name)}': a line has only custom_id and body.");
                    }

                    reader.Read();
                    reader.Skip();
                }
            }

            // Reaching the end proves nothing follows the object on the line.
            while (reader.Read())
            {
            }

            if (!hasCustomId)
            {
                Error(number, "custom_id", JsonlCodes.MissingCustomId, "custom_id is missing: every request needs a unique id to match its result.");
            }

            if (!hasBody)
            {
                Error(number, "body", JsonlCodes.MissingBody, "body is missing: it holds the request sent to the endpoint.");
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void ValidateCustomId(ref JsonTokenizer reader, long number)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                reader.Skip();
                Error(number, "custom_id", JsonlCodes.InvalidCustomId, $"custom_id must be a string, not {Describe(reader.TokenType)}.");
                return;
            }

            byte[]? rented = null;
            try
            {
                ReadOnlySpan<byte> id;
                if (reader.ValueIsEscaped)
                {
                    rented = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
                    id = rented.AsSpan(0, reader.CopyString(rented));
                }
                else
                {
                    id = reader.ValueSpan;
                }

                if (id.IsEmpty || id.IndexOfAnyExcept((byte)' ') < 0)
                {
                    Error(number, "custom_id", JsonlCodes.InvalidCustomId, "custom_id must not be empty.");
                }
                else if (id.Length > _options.MaxCustomIdBytes)
                {
                    Error(number, "custom_id", JsonlCodes.InvalidCustomId, string.Create(CultureInfo.InvariantCulture, $"custom_id has {id.Length} bytes; at most {_options.MaxCustomIdBytes} are accepted."));
                }
                else
                {
                    // Whether it is a duplicate is known only in input order: the run checks it there.
                    ref var entry = ref batch[_current];
                    entry.Hash = CustomIdSet.Hash(id);
                    entry.DuplicateAt = batch.Errors.Count;
                }
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void ValidateBody(ref JsonTokenizer reader, long number)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var kind = Describe(reader.TokenType);
                reader.Skip();
                Error(number, "body", JsonlCodes.InvalidField, $"body must be a JSON object, not {kind}.");
                return;
            }

            var found = _rule.Field is null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (_rule.Field is not null && reader.ValueTextEquals(_rule.Field))
                {
                    reader.Read();
                    found = true;
                    _rule.Check(this, ref reader, number);
                }
                else if (reader.ValueTextEquals("max_tokens"u8))
                {
                    reader.Read();
                    ref var entry = ref batch[_current];
                    if (reader.TokenType == JsonTokenType.Number && System.Buffers.Text.Utf8Parser.TryParse(reader.ValueSpan, out long maxTokens, out var used) && used == reader.ValueSpan.Length && maxTokens >= 0)
                    {
                        entry.MaxTokens = maxTokens;
                        entry.HasMaxTokens = true;
                    }

                    reader.Skip();
                }
                else if (_model is not null && reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueTextEquals(_model))
                    {
                        Warning(number, "body.model", JsonlCodes.ModelConflict, $"body.model '{Shorten(reader.GetString()!)}' differs from the job's model '{_options.Model}'; the job's model is used.");
                    }

                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (!found)
            {
                Error(number, $"body.{_rule.Name}", JsonlCodes.MissingField, $"body.{_rule.Name} is required by {_options.Endpoint}.");
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal void CheckMessages(ref JsonTokenizer reader, long number)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                var kind = Describe(reader.TokenType);
                reader.Skip();
                Error(number, "body.messages", JsonlCodes.InvalidField, $"body.messages must be a non-empty array, not {kind}.");
                return;
            }

            var index = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                CheckMessage(ref reader, number, index++);
            }

            if (index == 0)
            {
                Error(number, "body.messages", JsonlCodes.InvalidField, "body.messages must not be empty.");
            }
        }

        internal void CheckPresent(ref JsonTokenizer reader, long number, string field, bool stringAllowed, bool arrayAllowed, bool objectAllowed)
        {
            var ok = reader.TokenType switch
            {
                JsonTokenType.String => stringAllowed,
                JsonTokenType.StartArray => arrayAllowed,
                JsonTokenType.StartObject => objectAllowed,
                _ => false,
            };
            var kind = Describe(reader.TokenType);
            batch[_current].PromptBytes += reader.SkipCountingStrings();
            if (!ok)
            {
                var expected = string.Join(" or ", new[] { stringAllowed ? "a string" : null, arrayAllowed ? "an array" : null, objectAllowed ? "an object" : null }.Where(e => e is not null));
                Error(number, $"body.{field}", JsonlCodes.InvalidField, $"body.{field} must be {expected}, not {kind}.");
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void CheckMessage(ref JsonTokenizer reader, long number, int index)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var kind = Describe(reader.TokenType);
                reader.Skip();
                Error(number, Path(index, null), JsonlCodes.InvalidField, $"{Path(index, null)} must be an object with role and content, not {kind}.");
                return;
            }

            batch[_current].Messages++;
            var hasRole = false;
            var hasContent = false;
            var hasToolCalls = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("role"u8))
                {
                    reader.Read();
                    hasRole = true;
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        Error(number, Path(index, "role"), JsonlCodes.InvalidField, $"{Path(index, "role")} must be a string such as \"user\".");
                    }
                }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    hasContent = true;
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.StartArray or JsonTokenType.Null))
                    {
                        Error(number, Path(index, "content"), JsonlCodes.InvalidField, $"{Path(index, "content")} must be a string or an array of parts.");
                    }

                    batch[_current].PromptBytes += reader.SkipCountingStrings();
                    continue;
                }
                else
                {
                    hasToolCalls |= reader.ValueTextEquals("tool_calls"u8);
                    reader.Read();
                }

                reader.Skip();
            }

            if (!hasRole)
            {
                Error(number, Path(index, "role"), JsonlCodes.MissingField, $"{Path(index, "role")} is required.");
            }

            if (!hasContent && !hasToolCalls)
            {
                Error(number, Path(index, "content"), JsonlCodes.MissingField, $"{Path(index, "content")} is required.");
            }
        }

        private static string Path(int index, string? field) =>
            field is null
                ? string.Create(CultureInfo.InvariantCulture, $"body.messages[{index}]")
                : string.Create(CultureInfo.InvariantCulture, $"body.messages[{index}].{field}");

        private static string Describe(JsonTokenType token) => token switch
        {
            JsonTokenType.StartArray => "an array",
            JsonTokenType.StartObject => "an object",
            JsonTokenType.String => "a string",
            JsonTokenType.Number => "a number",
            JsonTokenType.True or JsonTokenType.False => "a boolean",
            JsonTokenType.Null => "null",
            _ => token.ToString(),
        };

    }

    /// <summary>The body field an endpoint requires, and how it is checked.</summary>
    private sealed class EndpointRule
    {
        private static readonly EndpointRule None = new(null, null, Kind.Any);

        private EndpointRule(string? name, byte[]? field, Kind kind)
        {
            Name = name;
            Field = field;
            RuleKind = kind;
        }

        private enum Kind
        {
            Any,
            Messages,
            StringOrArray,
            String,
            Object,
            Array,
            ObjectOrArray,
        }

        public string? Name { get; }

        public byte[]? Field { get; }

        private Kind RuleKind { get; }

        public static EndpointRule For(ApiEndpoint? endpoint)
        {
            if (endpoint is not { } value)
            {
                return None;
            }

            if (value == ApiEndpoint.ChatCompletions)
            {
                return Create("messages", Kind.Messages);
            }

            // The chat moderation and chat classification endpoints take `input` (the official SDKs send it so):
            // a list of messages or of conversations, and one `{"messages": [...]}` object or a list of them.
            if (value == ApiEndpoint.ChatModerations)
            {
                return Create("input", Kind.Array);
            }

            if (value == ApiEndpoint.ChatClassifications)
            {
                return Create("input", Kind.ObjectOrArray);
            }

            if (value == ApiEndpoint.Embeddings || value == ApiEndpoint.Moderations || value == ApiEndpoint.Classifications)
            {
                return Create("input", Kind.StringOrArray);
            }

            if (value == ApiEndpoint.FimCompletions)
            {
                return Create("prompt", Kind.String);
            }

            if (value == ApiEndpoint.Ocr)
            {
                return Create("document", Kind.Object);
            }

            return value == ApiEndpoint.Conversations ? Create("inputs", Kind.StringOrArray) : None;
        }

        public void Check(LineChecker run, ref JsonTokenizer reader, long number)
        {
            switch (RuleKind)
            {
                case Kind.Messages:
                    run.CheckMessages(ref reader, number);
                    break;
                case Kind.StringOrArray:
                    run.CheckPresent(ref reader, number, Name!, stringAllowed: true, arrayAllowed: true, objectAllowed: false);
                    break;
                case Kind.String:
                    run.CheckPresent(ref reader, number, Name!, stringAllowed: true, arrayAllowed: false, objectAllowed: false);
                    break;
                case Kind.Object:
                    run.CheckPresent(ref reader, number, Name!, stringAllowed: false, arrayAllowed: false, objectAllowed: true);
                    break;
                case Kind.Array:
                    run.CheckPresent(ref reader, number, Name!, stringAllowed: false, arrayAllowed: true, objectAllowed: false);
                    break;
                case Kind.ObjectOrArray:
                    run.CheckPresent(ref reader, number, Name!, stringAllowed: false, arrayAllowed: true, objectAllowed: true);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        private static EndpointRule Create(string name, Kind kind) => new(name, Encoding.UTF8.GetBytes(name), kind);
    }
}
