using System.Globalization;
using System.Net.Http.Headers;

namespace BatchFunctions.Core.Api;

/// <summary>
/// The contract of a JSONL upload to <c>POST /api/batches</c>: the body is the requests, with
/// <c>Content-Type: application/x-ndjson</c>, and the settings travel as query parameters (<c>name</c>,
/// <c>model</c>, <c>endpoint</c>, <c>timeout_hours</c>, <c>priority</c>, repeated <c>metadata=key=value</c>). Written by
/// <see cref="BatchApiClient"/>, read by both hosts.
/// </summary>
public static class UploadQuery
{
    /// <summary>The content type the client sends.</summary>
    public const string ContentType = "application/x-ndjson";

    /// <summary>Whether a request's content type says its body is JSONL.</summary>
    public static bool IsJsonl(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type) && type.MediaType is ContentType or "application/jsonl" or "application/x-jsonlines";

    /// <summary>The query string (without '?') carrying <paramref name="settings"/>.</summary>
    public static string Format(StartBatchRequest settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var query = new List<string>();
        Add("name", settings.Name);
        Add("model", settings.Model);
        Add("endpoint", settings.Endpoint);
        Add("timeout_hours", settings.TimeoutHours?.ToString(CultureInfo.InvariantCulture));
        Add("priority", settings.Priority);
        foreach (var (key, value) in settings.Metadata ?? new Dictionary<string, string>())
        {
            Add("metadata", key + "=" + value);
        }

        return string.Join('&', query);

        void Add(string name, string? value)
        {
            if (value is not null)
            {
                query.Add(name + "=" + Uri.EscapeDataString(value));
            }
        }
    }

    /// <summary>The settings in a query (<paramref name="values"/> gives a parameter's values), or null when one is malformed.</summary>
    public static StartBatchRequest? Parse(Func<string, IReadOnlyList<string?>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int? hours = null;
        if (Single("timeout_hours") is { } text)
        {
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
            {
                return null;
            }

            hours = parsed;
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in values("metadata"))
        {
            var separator = pair?.IndexOf('=', StringComparison.Ordinal) ?? -1;
            if (separator < 1)
            {
                return null;
            }

            metadata[pair![..separator]] = pair[(separator + 1)..];
        }

        return new StartBatchRequest(Name: Single("name"), Model: Single("model"), Endpoint: Single("endpoint"), TimeoutHours: hours, Metadata: metadata.Count == 0 ? null : metadata, Priority: Single("priority"));

        string? Single(string name) => values(name) is [{ Length: > 0 } value, ..] ? value : null;
    }
}
