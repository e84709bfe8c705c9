using System.Globalization;
using System.Text.Json;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Api;

/// <summary>
/// The field rules of a start request, wherever it comes from (a JSON body, a query string, a queue message):
/// each problem names the field as its origin spells it. Nothing is read or written here.
/// </summary>
internal static class StartRequestRules
{
    /// <summary>Every problem of <paramref name="request"/>'s fields, named as <paramref name="origin"/> spells them; a blob may be read only from <paramref name="inputContainers"/>.</summary>
    public static List<string> CheckRequest(StartBatchRequest request, RequestOrigin origin, IReadOnlyList<string> inputContainers)
    {
        var errors = new List<string>();
        var hasRequests = request.Requests is { Count: > 0 };
        if ((request.Blob is null) == !hasRequests)
        {
            errors.Add(request.Requests is { Count: 0 }
                ? $"{Field(origin, "requests")} is empty; give at least one request line, or 'blob' (an uploaded input)."
                : "Give either 'blob' (an uploaded input) or 'requests' (inline request lines), not both or neither.");
        }

        if (request.Blob is not null && (request.Model ?? request.Endpoint ?? (object?)request.TimeoutHours ?? request.Metadata ?? (object?)request.Priority) is not null)
        {
            errors.Add("Settings of a blob input come from its metadata (model, endpoint, timeout_hours, priority, metadata_*); 'model', 'endpoint', 'timeout_hours', 'priority' and 'metadata' apply to inline requests only.");
        }

        if (request.Requests is { Count: > BatchSubmitter.MaxInlineRequests })
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"At most {BatchSubmitter.MaxInlineRequests} inline requests are accepted; upload larger batches as a blob."));
        }

        if (request.Blob is { } reference)
        {
            CheckBlob(reference, origin, inputContainers, errors);
        }
        else
        {
            CheckSettings(request, origin, errors);
            CheckCustomIds(request.Requests, origin, errors);
        }

        return errors;
    }

    /// <summary>The most job metadata entries a start request may give (blob metadata holds 8 KiB in all).</summary>
    public const int MaxMetadataEntries = 16;

    private static void CheckBlob(BlobReference reference, RequestOrigin origin, IReadOnlyList<string> inputContainers, List<string> errors)
    {
        if (BlobNames.CheckInputName(reference.Name, Field(origin, "blob.name")) is { } nameProblem)
        {
            errors.Add(nameProblem);
        }

        if (reference.Container is { } container)
        {
            var inputs = inputContainers;
            if (!BlobNames.IsContainerName(container))
            {
                errors.Add($"{Field(origin, "blob.container")} is '{Printable(container)}', which is not a container name (3 to 63 lower-case letters, digits and single hyphens).");
            }
            else if (!inputs.Contains(container, StringComparer.Ordinal))
            {
                errors.Add($"{Field(origin, "blob.container")} is '{container}'; inputs are read only from {string.Join(", ", inputs.Select(c => $"'{c}'"))} (Storage:InputContainer, Storage:AllowedInputContainers). Leave it out to use the input container.");
            }
        }
    }

    /// <summary>Why <paramref name="model"/> is not a model name, naming it as <paramref name="field"/>; null when it is one.</summary>
    public static string? CheckModel(string model, string field) =>
        model.Length is < 1 or > 100 || model.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/'))
            ? $"{field} is '{Printable(model)}'; a model name has 1 to 100 letters, digits, '-', '_', '.', ':' or '/'."
            : null;

    /// <summary>The problems of a start's settings (name, model, endpoint, timeout, priority, metadata), added to <paramref name="errors"/>.</summary>
    public static void CheckSettings(StartBatchRequest request, RequestOrigin origin, List<string> errors)
    {
        if (request.Name is { } name && BlobNames.CheckInputName(name, Field(origin, "name")) is { } nameProblem)
        {
            errors.Add(nameProblem);
        }

        if (request.Model is { } model && CheckModel(model, Field(origin, "model")) is { } modelProblem)
        {
            errors.Add(modelProblem);
        }

        if (request.Endpoint is { } endpoint && !ApiEndpoint.Known.Contains(ApiEndpoint.FromValue(endpoint)))
        {
            errors.Add($"{Field(origin, "endpoint")} is '{Printable(endpoint)}'; it must be one of {string.Join(", ", ApiEndpoint.Known)}.");
        }

        if (request.TimeoutHours is { } hours && hours is < 1 or > 168)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{Field(origin, "timeout_hours")} is {hours}; it must be a whole number of hours from 1 to 168."));
        }

        if (request.Priority is { } priority && BatchPriorities.Parse(priority) is null)
        {
            errors.Add($"{Field(origin, "priority")} is '{Printable(priority)}'; it must be {BatchPriorities.Accepted}.");
        }

        if (request.Metadata is not { } metadata)
        {
            return;
        }

        if (metadata.Count > MaxMetadataEntries)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{Field(origin, "metadata")} has {metadata.Count} entries; at most {MaxMetadataEntries} are accepted."));
        }

        foreach (var (key, value) in metadata)
        {
            // Stored as blob metadata (HTTP headers) on the way: ASCII only, and keys that are identifiers.
            if (key.Length is < 1 or > 32 || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c == '_')))
            {
                errors.Add($"{Field(origin, "metadata")} has the key '{Printable(key)}'; keys have 1 to 32 ASCII letters, digits or '_'.");
            }
            else if (key.ToLowerInvariant() is BatchSettingsResolver.InstanceKey or BatchSettingsResolver.PartKey)
            {
                errors.Add($"{Field(origin, "metadata")} has the key '{key}', which BatchFunctions sets itself.");
            }
            else if (value is null || value.Length is < 1 or > 512 || value.Any(c => c is < ' ' or > '~'))
            {
                errors.Add($"{Field(origin, "metadata")} '{key}' must have 1 to 512 printable ASCII characters (no line breaks, no accents).");
            }
        }
    }

    /// <summary>Each inline request names its own custom_id: caught here, before anything is stored, as the validator would later.</summary>
    private static void CheckCustomIds(IReadOnlyList<JsonElement>? requests, RequestOrigin origin, List<string> errors)
    {
        const int MaxReported = 5;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var reported = 0;
        for (var i = 0; i < (requests?.Count ?? 0) && reported < MaxReported; i++)
        {
            var line = requests![i];
            if (line.ValueKind != JsonValueKind.Object || !line.TryGetProperty("custom_id", out var id) || id.ValueKind != JsonValueKind.String || id.GetString() is not { Length: > 0 } customId)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{Field(origin, "requests")} item {i + 1} has no custom_id; each request is {{\"custom_id\": ..., \"body\": {{...}}}}."));
                reported++;
            }
            else if (seen.TryGetValue(customId, out var first))
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{Field(origin, "requests")} item {i + 1} repeats custom_id '{Printable(customId)}' of item {first}; each must be unique."));
                reported++;
            }
            else
            {
                seen[customId] = i + 1;
            }
        }
    }

    private static string Field(RequestOrigin origin, string name) => origin switch
    {
        RequestOrigin.Query => $"The query parameter '{name}'",
        RequestOrigin.QueueMessage => $"The message field '{name}'",
        _ => $"The JSON field '{name}'",
    };

    /// <summary>A value echoed in an error, with control characters shown as escapes and cut to a readable length.</summary>
    private static string Printable(string value)
    {
        var shown = value.Length > 80 ? value[..80] + "..." : value;
        return string.Concat(shown.Select(c => char.IsControl(c) ? string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}") : c.ToString()));
    }
}
