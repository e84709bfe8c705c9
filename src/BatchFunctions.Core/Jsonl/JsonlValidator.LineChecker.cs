using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Unicode;

namespace BatchFunctions.Core.Jsonl;

/// <summary>The checks of one line: its JSON, its custom_id and its body.</summary>
public static partial class JsonlValidator
{
    /// <summary>Checks the lines of one batch on its own (any thread): everything but what needs the lines before it.</summary>
    private sealed partial class LineChecker(LineRules rules, LineBatch batch)
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
    }
}
