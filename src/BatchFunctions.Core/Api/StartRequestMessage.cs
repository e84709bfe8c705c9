using System.Text;
using System.Text.Json;

namespace BatchFunctions.Core.Api;

/// <summary>
/// A <c>batch-requests</c> queue message: the JSON of <c>POST /api/batches</c>, plain or base64 (as the
/// Functions host and the storage SDKs may write it). Read the same way by both hosts, which also set
/// aside a message that can never start a batch in the same wrapper.
/// </summary>
public static class StartRequestMessage
{
    /// <summary>A queue message holds 64 KiB: a longer original is cut so that its wrapper still fits.</summary>
    public const int MaxKeptChars = 40_000;

    /// <summary>Why a message that is not a start request is refused.</summary>
    public const string NotAStartRequest = "The message is not a JSON start request ({\"blob\": {\"name\": ...}} or {\"requests\": [...]}), plain or base64.";

    /// <summary>The start request in <paramref name="text"/>, or null when it holds none.</summary>
    public static StartBatchRequest? Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParse(text) is { } plain)
        {
            return plain;
        }

        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), buffer, out var length) ? TryParse(Encoding.UTF8.GetString(buffer, 0, length)) : null;
    }

    /// <summary>The poison queue's message for <paramref name="text"/>: the reason, the attempts and the original (cut to <see cref="MaxKeptChars"/>).</summary>
    public static string Wrap(string text, string reason, long attempts, string messageId, DateTimeOffset failedAt)
    {
        ArgumentNullException.ThrowIfNull(text);
        var kept = text.Length > MaxKeptChars ? text[..MaxKeptChars] : text;
        return JsonSerializer.Serialize(new PoisonMessage(reason, attempts, messageId, failedAt, kept), BatchJsonContext.Readable.PoisonMessage);
    }

    private static StartBatchRequest? TryParse(string text)
    {
        try
        {
            // A JSON value that is not an object (a number, a string) is no request either.
            return text.TrimStart().StartsWith('{') ? JsonSerializer.Deserialize(text, BatchJsonContext.Readable.StartBatchRequest) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
