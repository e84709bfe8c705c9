using System.Buffers;
using System.Globalization;
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
    public static async Task<JsonlValidationReport> ValidateAsync(Stream input, JsonlValidationOptions? options, JsonlPartPlanner? planner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= new JsonlValidationOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxLineBytes, 1, nameof(options));

        var run = new Run(options);
        using var reader = new JsonlLineReader(input, options.MaxLineBytes);
        var lastEndsWithNewline = true;
        var lastWasBlank = true;
        while (await reader.ReadAsync(cancellationToken))
        {
            lastEndsWithNewline = reader.EndsWithNewline;
            if (reader.IsTooLong)
            {
                run.CountRequest(reader.LineNumber);
                lastWasBlank = false;
                run.Error(reader.LineNumber, null, JsonlCodes.LineTooLong, string.Create(CultureInfo.InvariantCulture, $"The line has {reader.RawLength} bytes; at most {options.MaxLineBytes} are accepted."));
                if (planner is not null)
                {
                    await planner.AddAsync(reader.RawLength, isRequest: true, 0, cancellationToken);
                }

                continue;
            }

            lastWasBlank = run.ValidateLine(reader.Line, reader.LineNumber);
            if (reader.EndsWithCrlf)
            {
                run.Crlf(reader.LineNumber);
            }

            if (planner is not null)
            {
                await planner.AddAsync(reader.RawLength, !lastWasBlank, run.IdHash, cancellationToken);
            }
        }

        if (reader.LineNumber > 0 && !lastEndsWithNewline && !lastWasBlank)
        {
            run.Warning(reader.LineNumber, null, JsonlCodes.MissingFinalNewline, "The last line has no newline at its end; it is accepted as a request.");
        }

        if (run.Requests == 0)
        {
            run.Error(0, null, JsonlCodes.EmptyFile, "The input holds no request: each line must be {\"custom_id\": ..., \"body\": {...}}.");
        }

        return run.ToReport(reader.LineNumber, reader.LineOffset);
    }

    /// <summary>The state of one validation pass.</summary>
    private sealed class Run(JsonlValidationOptions options)
    {
        private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

        // The shortest request line, {"custom_id":"a","body":{}} and its newline, has 28 bytes.
        private readonly CustomIdSet _ids = new(options.ExpectedBytes is { } bytes ? Math.Min(bytes / 28, options.MaxRequests + 1) : 0);
        private readonly List<JsonlIssue> _errors = [];
        private readonly List<JsonlIssue> _warnings = [];
        private readonly byte[]? _model = options.Model is null ? null : Encoding.UTF8.GetBytes(options.Model);
        private readonly EndpointRule _rule = EndpointRule.For(options.Endpoint);
        private long _errorCount;
        private long _warningCount;
        private bool _crlfReported;

        public long Requests { get; private set; }

        /// <summary>The hash of the last line's custom_id; 0 when it has none that could be read.</summary>
        public ulong IdHash { get; private set; }

        public void CountRequest(long line)
        {
            Requests++;
            if (Requests == options.MaxRequests + 1)
            {
                Error(line, null, JsonlCodes.TooManyRequests, string.Create(CultureInfo.InvariantCulture, $"The input holds more than {options.MaxRequests} requests, the most one batch may have in flight; split it into several files."));
            }
        }

        public void Crlf(long line)
        {
            if (!_crlfReported)
            {
                _crlfReported = true;
                Warning(line, null, JsonlCodes.CrlfLineEndings, "Lines end with CRLF (this is the first); they are accepted, though JSONL expects LF.");
            }
        }

        /// <summary>Checks one line; returns whether it was blank.</summary>
        public bool ValidateLine(ReadOnlySpan<byte> line, long number)
        {
            IdHash = 0;
            if (number == 1 && line.StartsWith("\uFEFF"u8))
            {
                Warning(1, null, JsonlCodes.ByteOrderMark, "The file starts with a UTF-8 byte order mark; it is ignored, though JSONL should not have one.");
                line = line[3..];
            }

            if (line.IndexOfAnyExcept(" \t\r"u8) < 0)
            {
                Warning(number, null, JsonlCodes.BlankLine, "Blank line: skipped.");
                return true;
            }

            CountRequest(number);
            if (!Utf8.IsValid(line))
            {
                Error(number, null, JsonlCodes.InvalidUtf8, "The line is not valid UTF-8; save the file as UTF-8.");
                return false;
            }

            var reader = new Utf8JsonReader(line, ReaderOptions);
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

        public void Error(long line, string? field, string code, string message)
        {
            _errorCount++;
            if (_errors.Count < options.MaxIssues)
            {
                _errors.Add(new JsonlIssue(line, field, code, message));
            }
        }

        public void Warning(long line, string? field, string code, string message)
        {
            _warningCount++;
            if (_warnings.Count < options.MaxIssues)
            {
                _warnings.Add(new JsonlIssue(line, field, code, message));
            }
        }

        public JsonlValidationReport ToReport(long lines, long bytes) => new()
        {
            Requests = Requests,
            Lines = lines,
            Bytes = bytes,
            ErrorCount = _errorCount,
            WarningCount = _warningCount,
            Errors = _errors.OrderBy(e => e.Line).ToList(),
            Warnings = _warnings,
        };

        private void ValidateRequest(ref Utf8JsonReader reader, long number)
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

        private void ValidateCustomId(ref Utf8JsonReader reader, long number)
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
                else if (id.Length > options.MaxCustomIdBytes)
                {
                    Error(number, "custom_id", JsonlCodes.InvalidCustomId, string.Create(CultureInfo.InvariantCulture, $"custom_id has {id.Length} bytes; at most {options.MaxCustomIdBytes} are accepted."));
                }
                else
                {
                    IdHash = CustomIdSet.Hash(id);
                    if (!_ids.AddHash(IdHash))
                    {
                        Error(number, "custom_id", JsonlCodes.DuplicateCustomId, $"custom_id '{Shorten(Encoding.UTF8.GetString(id))}' is used by an earlier line; each must be unique.");
                    }
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

        private void ValidateBody(ref Utf8JsonReader reader, long number)
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
                else if (_model is not null && reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueTextEquals(_model))
                    {
                        Warning(number, "body.model", JsonlCodes.ModelConflict, $"body.model '{Shorten(reader.GetString()!)}' differs from the job's model '{options.Model}'; the job's model is used.");
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
                Error(number, $"body.{_rule.Name}", JsonlCodes.MissingField, $"body.{_rule.Name} is required by {options.Endpoint}.");
            }
        }

        internal void CheckMessages(ref Utf8JsonReader reader, long number)
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

        internal void CheckPresent(ref Utf8JsonReader reader, long number, string field, bool stringAllowed, bool arrayAllowed, bool objectAllowed)
        {
            var ok = reader.TokenType switch
            {
                JsonTokenType.String => stringAllowed,
                JsonTokenType.StartArray => arrayAllowed,
                JsonTokenType.StartObject => objectAllowed,
                _ => false,
            };
            var kind = Describe(reader.TokenType);
            reader.Skip();
            if (!ok)
            {
                var expected = string.Join(" or ", new[] { stringAllowed ? "a string" : null, arrayAllowed ? "an array" : null, objectAllowed ? "an object" : null }.Where(e => e is not null));
                Error(number, $"body.{field}", JsonlCodes.InvalidField, $"body.{field} must be {expected}, not {kind}.");
            }
        }

        private void CheckMessage(ref Utf8JsonReader reader, long number, int index)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var kind = Describe(reader.TokenType);
                reader.Skip();
                Error(number, Path(index, null), JsonlCodes.InvalidField, $"{Path(index, null)} must be an object with role and content, not {kind}.");
                return;
            }

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

        private static string Shorten(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 61), "...");
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

        public void Check(Run run, ref Utf8JsonReader reader, long number)
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
