using System.Globalization;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Settings;

/// <summary>
/// Reads an input's job settings from its blob metadata (<c>model</c>, <c>endpoint</c>, <c>timeout_hours</c>,
/// <c>priority</c>, <c>metadata_*</c>), falling back to the configured defaults, and says precisely what is wrong with them.
/// </summary>
public static class BatchSettingsResolver
{
    /// <summary>Job metadata key holding the batch's instance id.</summary>
    public const string InstanceKey = "batchfn_instance";

    /// <summary>Job metadata key holding the part index.</summary>
    public const string PartKey = "batchfn_part";

    private const string MetadataPrefix = "metadata_";

    /// <summary>The blob metadata giving the batch's place in the queue for workspace capacity.</summary>
    public const string PriorityKey = "priority";

    /// <summary>The blob metadata of a retry's input naming the batch it retries.</summary>
    public const string ParentIdKey = "parent_id";

    /// <summary>The blob metadata of a retry's input naming the parent's input (URI-escaped: metadata is ASCII).</summary>
    public const string ParentInputKey = "parent_input";

    /// <summary>
    /// The blob metadata that carries a batch's settings with its input (the one writer of the convention
    /// <see cref="Resolve"/> reads): <c>model</c>, <c>endpoint</c> and <c>timeout_hours</c> when given, and
    /// each job metadata entry as <c>metadata_KEY</c>, and <c>priority</c> when it is not normal.
    /// </summary>
    public static Dictionary<string, string> ToBlobMetadata(string? model, string? endpoint, int? timeoutHours, IEnumerable<KeyValuePair<string, string>>? jobMetadata, BatchPriority? priority = null)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (priority is { } given and not BatchPriority.Normal)
        {
            metadata[PriorityKey] = BatchPriorities.Format(given);
        }

        if (endpoint is not null)
        {
            metadata["endpoint"] = endpoint;
        }

        if (model is not null)
        {
            metadata["model"] = model;
        }

        if (timeoutHours is { } hours)
        {
            metadata["timeout_hours"] = hours.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in jobMetadata ?? [])
        {
            metadata[MetadataPrefix + key] = value;
        }

        return metadata;
    }

    /// <summary>How an input with <paramref name="settings"/> is validated, the same at the door and in the workflow.</summary>
    public static Jsonl.JsonlValidationOptions ValidationOptions(BatchSettings? settings, BatchDefaultsOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        return new()
        {
            Endpoint = settings is null ? null : ApiEndpoint.FromValue(settings.Endpoint),
            Model = settings?.Model,
            MaxLineBytes = defaults.MaxLineBytes,
            MaxRequests = defaults.MaxRequestsPerBatch,
        };
    }

    /// <summary>The settings, or the reasons they are invalid.</summary>
    public static (BatchSettings? Settings, IReadOnlyList<string> Errors) Resolve(IDictionary<string, string> blobMetadata, BatchDefaultsOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(blobMetadata);
        ArgumentNullException.ThrowIfNull(defaults);
        var metadata = new Dictionary<string, string>(blobMetadata, StringComparer.OrdinalIgnoreCase);
        var errors = new List<string>();

        var endpoint = metadata.GetValueOrDefault("endpoint") ?? defaults.Endpoint;
        if (!ApiEndpoint.Known.Contains(ApiEndpoint.FromValue(endpoint)))
        {
            errors.Add($"Blob metadata 'endpoint' is '{endpoint}'; it must be one of {string.Join(", ", ApiEndpoint.Known)}.");
        }

        var model = metadata.GetValueOrDefault("model") ?? defaults.Model;
        if (model is not null && string.IsNullOrWhiteSpace(model))
        {
            model = null;
        }

        var timeoutHours = defaults.TimeoutHours;
        if (metadata.TryGetValue("timeout_hours", out var timeoutText))
        {
            if (!int.TryParse(timeoutText, NumberStyles.Integer, CultureInfo.InvariantCulture, out timeoutHours) || timeoutHours is < 1 or > 168)
            {
                errors.Add($"Blob metadata 'timeout_hours' is '{timeoutText}'; it must be a whole number of hours from 1 to 168.");
            }
        }

        var priority = BatchPriority.Normal;
        if (metadata.TryGetValue(PriorityKey, out var priorityText))
        {
            if (BatchPriorities.Parse(priorityText) is { } parsed)
            {
                priority = parsed;
            }
            else
            {
                errors.Add($"Blob metadata '{PriorityKey}' is '{priorityText}'; it must be {BatchPriorities.Accepted}.");
            }
        }

        var jobMetadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata.Where(pair => pair.Key.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase)))
        {
            var name = key[MetadataPrefix.Length..].ToLowerInvariant();
            if (name.Length is < 1 or > 32)
            {
                errors.Add($"Blob metadata '{key}' gives a job metadata key of {name.Length} characters; keys must have 1 to 32.");
            }
            else if (name is InstanceKey or PartKey)
            {
                errors.Add($"Blob metadata '{key}' is reserved: BatchFunctions sets '{name}' itself.");
            }
            else if (value.Length is < 1 or > 512)
            {
                errors.Add($"Blob metadata '{key}' has a value of {value.Length} characters; values must have 1 to 512.");
            }
            else
            {
                jobMetadata[name] = value;
            }
        }

        // A retry names its parent; both are checked, as they decide which of our blobs its finalize reads.
        string? parentId = metadata.GetValueOrDefault(ParentIdKey);
        string? parentInput = null;
        if (parentId is not null)
        {
            if (!BatchInstanceId.IsWellFormed(parentId))
            {
                errors.Add($"Blob metadata '{ParentIdKey}' is not a batch id (bf- and 32 hex digits).");
            }

            parentInput = metadata.TryGetValue(ParentInputKey, out var escaped) ? Uri.UnescapeDataString(escaped) : null;
            if (Storage.BlobNames.CheckInputName(parentInput, $"Blob metadata '{ParentInputKey}'") is { } problem)
            {
                errors.Add(problem);
            }
        }

        return errors.Count > 0 ? (null, errors) : (new BatchSettings(endpoint, model, timeoutHours, jobMetadata, parentId, parentInput, priority), errors);
    }
}
