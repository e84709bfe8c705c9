using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BatchFunctions.Core.Mistral;

/// <summary>Turns any of Mistral's error bodies (contract section 8) into a <see cref="MistralApiException"/>.</summary>
internal static class MistralErrorParser
{
    /// <summary>Error bodies are small; a gateway's HTML page is not worth more than this.</summary>
    private const int MaxBodyChars = 16 * 1024;
    private const int MaxMessageChars = 2000;

    private static readonly string[] RequestIdHeaders = ["x-kong-request-id", "x-request-id", "request-id", "mistral-request-id"];

    public static async Task<MistralApiException> ReadAsync(HttpResponseMessage response, string operation, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        string body;
        try
        {
            body = await ReadBoundedAsync(response.Content, cancellationToken);
        }
        catch (HttpRequestException)
        {
            body = string.Empty;
        }
        catch (IOException)
        {
            body = string.Empty;
        }

        var status = (int)response.StatusCode;
        var parsed = Parse(body);
        var requestId = parsed.RequestId ?? FindRequestId(response.Headers);
        var message = parsed.Message ?? (string.IsNullOrWhiteSpace(body) ? response.ReasonPhrase ?? "No error body." : Truncate(body.Trim()));
        return new MistralApiException(
            status,
            string.Create(CultureInfo.InvariantCulture, $"Mistral {operation} failed with {status}: {message}"),
            parsed.Type,
            parsed.Code,
            requestId,
            MistralRetryDelay.FromHeaders(response.Headers, timeProvider));
    }

    /// <summary>Reads message, type, code and request id from any known body shape; unknown shapes give nulls.</summary>
    public static ParsedError Parse(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return new ParsedError(null, null, null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? ParseObject(document.RootElement)
                : new ParsedError(null, null, null, null);
        }
        catch (JsonException)
        {
            return new ParsedError(null, null, null, null);
        }
    }

    private static ParsedError ParseObject(JsonElement root)
    {
        var type = GetScalar(root, "type");
        var code = GetScalar(root, "code");
        var requestId = GetScalar(root, "request_id");
        string? message = null;

        if (root.TryGetProperty("message", out var messageElement))
        {
            // The wrapped validation form nests a FastAPI body inside "message".
            if (messageElement.ValueKind == JsonValueKind.Object)
            {
                var inner = ParseObject(messageElement);
                message = inner.Message;
                type ??= inner.Type;
            }
            else if (messageElement.ValueKind == JsonValueKind.String)
            {
                message = messageElement.GetString();
            }
        }

        if (message is null && root.TryGetProperty("detail", out var detail))
        {
            switch (detail.ValueKind)
            {
                case JsonValueKind.String:
                    message = DescribeFileFormatError(root, detail.GetString()!);
                    break;
                case JsonValueKind.Array:
                    (message, var firstType) = DescribeValidationErrors(detail);
                    type ??= firstType;
                    break;
                case JsonValueKind.Object when detail.TryGetProperty("msg", out var msg) && msg.ValueKind == JsonValueKind.String:
                    message = msg.GetString();
                    break;
                default:
                    break;
            }
        }

        return new ParsedError(message is null ? null : Truncate(message), type, code, requestId);
    }

    private static string DescribeFileFormatError(JsonElement root, string detail)
    {
        var builder = new StringBuilder(detail);
        if (GetScalar(root, "description") is { } description)
        {
            builder.Append(' ').Append(description);
        }

        if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
        {
            foreach (var error in errors.EnumerateArray().Take(5))
            {
                builder.Append(" [");
                if (GetScalar(error, "line_number") is { } line)
                {
                    builder.Append("line ").Append(line).Append(": ");
                }

                builder.Append(GetScalar(error, "message") ?? "invalid").Append(']');
            }
        }

        return builder.ToString();
    }

    private static (string Message, string? FirstType) DescribeValidationErrors(JsonElement detail)
    {
        var parts = new List<string>();
        string? firstType = null;
        foreach (var item in detail.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            firstType ??= GetScalar(item, "type");
            var location = item.TryGetProperty("loc", out var loc) && loc.ValueKind == JsonValueKind.Array
                ? string.Join('.', loc.EnumerateArray().Select(segment => segment.ValueKind == JsonValueKind.String ? segment.GetString() : segment.GetRawText()))
                : null;

            // "input" echoes what we sent, which may be a user's prompt: it is deliberately left out.
            var text = GetScalar(item, "msg") ?? "invalid";
            parts.Add(location is null ? text : string.Create(CultureInfo.InvariantCulture, $"{location}: {text}"));
        }

        return (parts.Count == 0 ? "Validation failed." : string.Join("; ", parts), firstType);
    }

    private static string? GetScalar(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    private static string? FindRequestId(HttpResponseHeaders headers)
    {
        foreach (var name in RequestIdHeaders)
        {
            if (headers.TryGetValues(name, out var values) && values.FirstOrDefault() is { Length: > 0 } value)
            {
                return value;
            }
        }

        return null;
    }

    private static async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var buffer = new char[MaxBodyChars];
        var read = 0;
        int count;
        while (read < buffer.Length && (count = await reader.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += count;
        }

        return new string(buffer, 0, read);
    }

    private static string Truncate(string text) => text.Length <= MaxMessageChars ? text : string.Concat(text.AsSpan(0, MaxMessageChars), "…");

    internal readonly record struct ParsedError(string? Message, string? Type, string? Code, string? RequestId);
}
