using System.Buffers.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Reads what the merger needs from one output or error line, without building a document: custom_id,
/// whether it failed (contract section 7.3: <c>error</c> set or a non-2xx <c>status_code</c>), model and usage.
/// </summary>
/// <remarks>
/// On <see cref="JsonTokenizer"/>, the validator's reader, after one vectorized UTF-8 check of the line: a
/// result line is mostly the completion's text, which that reader crosses in one search per string where
/// <see cref="Utf8JsonReader"/> goes byte by byte from the first escape (a quarter of a merge's time).
/// </remarks>
internal sealed class ResultLineParser
{
    private byte[] _customId = new byte[256];
    private int _customIdLength;
    private byte[] _lastModel = [];
    private string? _lastModelName;

    public bool HasCustomId { get; private set; }

    public ReadOnlySpan<byte> CustomId => _customId.AsSpan(0, _customIdLength);

    public bool Failed { get; private set; }

    public string? Model { get; private set; }

    public long PromptTokens { get; private set; }

    public long CompletionTokens { get; private set; }

    public long TotalTokens { get; private set; }

    /// <summary>Reads a line; false when it is not a JSON object (such a line counts as failed).</summary>
    public bool TryParse(ReadOnlySpan<byte> line)
    {
        HasCustomId = false;
        Failed = true;
        Model = null;
        PromptTokens = CompletionTokens = TotalTokens = 0;
        var hasError = false;
        int? status = null;
        if (!Utf8.IsValid(line))
        {
            return false;
        }

        try
        {
            var reader = new JsonTokenizer(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("custom_id"u8))
                {
                    reader.Read();
                    ReadCustomId(ref reader);
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    hasError = reader.TokenType != JsonTokenType.Null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("response"u8))
                {
                    reader.Read();
                    status = ReadResponse(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            Failed = hasError || status is not (>= 200 and < 300);
            return true;
        }
        catch (JsonException)
        {
            Failed = true;
            return false;
        }
    }

    private void ReadCustomId(ref JsonTokenizer reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return;
        }

        var length = reader.ValueSpan.Length;
        if (_customId.Length < length)
        {
            _customId = new byte[Math.Max(length, _customId.Length * 2)];
        }

        if (reader.ValueIsEscaped)
        {
            _customIdLength = reader.CopyString(_customId);
        }
        else
        {
            reader.ValueSpan.CopyTo(_customId);
            _customIdLength = length;
        }
        HasCustomId = true;
    }

    private int? ReadResponse(ref JsonTokenizer reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        int? status = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("status_code"u8))
            {
                reader.Read();
                status = reader.TokenType == JsonTokenType.Number && TryGetInteger(reader.ValueSpan, out var code) && code is >= int.MinValue and <= int.MaxValue ? (int)code : null;
            }
            else if (reader.ValueTextEquals("body"u8))
            {
                reader.Read();
                ReadBody(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return status;
    }

    private void ReadBody(ref JsonTokenizer reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    // Models repeat line after line: reuse the last name instead of a string per line.
                    if (_lastModelName is null || !reader.ValueTextEquals(_lastModel))
                    {
                        _lastModelName = reader.GetString()!;
                        _lastModel = System.Text.Encoding.UTF8.GetBytes(_lastModelName);
                    }

                    Model = _lastModelName;
                }

                reader.Skip();
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                ReadUsage(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private void ReadUsage(ref JsonTokenizer reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var target = reader.ValueTextEquals("prompt_tokens"u8) ? 1 : reader.ValueTextEquals("completion_tokens"u8) ? 2 : reader.ValueTextEquals("total_tokens"u8) ? 3 : 0;
            reader.Read();
            if (target > 0 && reader.TokenType == JsonTokenType.Number && TryGetInteger(reader.ValueSpan, out var value))
            {
                switch (target)
                {
                    case 1:
                        PromptTokens = value;
                        break;
                    case 2:
                        CompletionTokens = value;
                        break;
                    default:
                        TotalTokens = value;
                        break;
                }
            }

            reader.Skip();
        }
    }

    /// <summary>A JSON number that is a whole long as written (as <see cref="Utf8JsonReader.TryGetInt64"/>: no fraction, no exponent).</summary>
    private static bool TryGetInteger(ReadOnlySpan<byte> number, out long value) =>
        Utf8Parser.TryParse(number, out value, out var consumed) && consumed == number.Length;
}
