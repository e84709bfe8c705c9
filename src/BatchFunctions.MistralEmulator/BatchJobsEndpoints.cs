using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace BatchFunctions.MistralEmulator;

/// <summary>The Batch Jobs API: create, list, get, cancel, delete.</summary>
internal static class BatchJobsEndpoints
{
    private const int MaxInlineRequests = 10_000;
    private const long MaxCreateBodyBytes = 256L * 1024 * 1024;

    private static readonly HashSet<string> CreateFields = new(StringComparer.Ordinal)
    {
        "input_files", "requests", "model", "agent_id", "endpoint", "metadata", "timeout_hours",
    };

    private static readonly HashSet<string> ListKeys = new(StringComparer.Ordinal)
    {
        "page", "page_size", "model", "agent_id", "metadata", "created_after", "created_by_me", "status", "order_by",
    };

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/batch/jobs", CreateAsync);
        routes.MapGet("/v1/batch/jobs", List);
        routes.MapGet("/v1/batch/jobs/{jobId}", Get);
        routes.MapPost("/v1/batch/jobs/{jobId}/cancel", Cancel);
        routes.MapDelete("/v1/batch/jobs/{jobId}", Delete);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, EmulatorStore store, JobProcessor processor, IOptions<MistralEmulatorOptions> options, TimeProvider timeProvider)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = MaxCreateBodyBytes;
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException exception)
        {
            return EmulatorErrors.Validation([new ValidationIssue("json_invalid", ["body", (int)(exception.BytePositionInLine ?? 0)], "JSON decode error", null)]);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return EmulatorErrors.Validation("model_attributes_type", "Input should be a valid dictionary or object to extract fields from", "body");
            }

            var issues = new List<ValidationIssue>();
            foreach (var property in root.EnumerateObject())
            {
                if (!CreateFields.Contains(property.Name))
                {
                    issues.Add(new ValidationIssue("extra_forbidden", ["body", property.Name], "Extra inputs are not permitted", JsonNode.Parse(property.Value.GetRawText())));
                }
            }

            var endpoint = ReadString(root, "endpoint", issues, required: true);
            if (endpoint is not null && !WireValues.Endpoints.Contains(endpoint))
            {
                issues.Add(new ValidationIssue("enum", ["body", "endpoint"], "Input should be one of " + string.Join(", ", WireValues.Endpoints.Select(e => $"'{e}'")), endpoint));
            }

            var model = ReadString(root, "model", issues, required: false);
            var agentId = ReadString(root, "agent_id", issues, required: false);
            var timeoutHours = ReadTimeout(root, issues);
            var metadata = ReadMetadata(root, issues);
            var inputFiles = ReadInputFiles(root, issues);
            var requests = root.TryGetProperty("requests", out var requestsElement) && requestsElement.ValueKind != JsonValueKind.Null
                ? ValidateRequests(requestsElement, issues)
                : (JsonElement?)null;

            if (issues.Count == 0 && (inputFiles is { Count: > 0 }) == requests.HasValue)
            {
                issues.Add(new ValidationIssue("value_error", ["body"], "Value error, exactly one of input_files or requests must be provided", null));
            }

            if (issues.Count == 0 && model is not null && agentId is not null)
            {
                issues.Add(new ValidationIssue("value_error", ["body"], "Value error, model and agent_id are mutually exclusive", null));
            }

            if (issues.Count > 0)
            {
                return EmulatorErrors.Validation(issues);
            }

            var known = options.Value.KnownModels;
            if (model is not null && known.Count > 0 && !known.Contains(model))
            {
                return EmulatorErrors.Generic(400, $"Invalid model: {model}", "invalid_model", "1500");
            }

            var inputPaths = new List<string>();
            long requestCount = requests is { } counted ? counted.GetArrayLength() : 0;
            foreach (var fileId in inputFiles ?? [])
            {
                var file = store.FindFile(fileId);
                if (file is null)
                {
                    return EmulatorErrors.NotFound($"Input file {fileId} not found.");
                }

                requestCount += file.NumLines;

                if (file.Purpose != "batch")
                {
                    return EmulatorErrors.Generic(400, $"Input file {fileId} has purpose '{file.Purpose}'; batch inputs need purpose 'batch'.", "invalid_request_error", null, "input_files");
                }

                inputPaths.Add(file.Path);
            }

            var pending = processor.WorkspacePending();

            if (store.Settings.MaxPendingRequests is > 0 and var limit)
            {
                if (pending + requestCount > limit)
                {
                    return EmulatorErrors.Generic(
                        400,
                        string.Create(CultureInfo.InvariantCulture, $"Pending requests limit exceeded: the workspace has {pending} pending requests and this job adds {requestCount}, over its limit of {limit}. Wait until some are processed."),
                        "invalid_request_error",
                        "pending_requests_limit");
                }
            }

            if (requests is { } inline)
            {
                var spill = store.NewPath(".inline.jsonl");
                await using (var stream = new FileStream(spill, FileMode.CreateNew, FileAccess.Write))
                {
                    // Re-written compactly: a pretty-printed request must still be one line.
                    await using var writer = new Utf8JsonWriter(stream);
                    foreach (var item in inline.EnumerateArray())
                    {
                        item.WriteTo(writer);
                        await writer.FlushAsync(context.RequestAborted);
                        writer.Reset();
                        stream.WriteByte((byte)'\n');
                    }
                }

                inputPaths.Add(spill);
            }

            var job = new StoredJob
            {
                Id = Guid.NewGuid().ToString(),
                InputFiles = inputFiles ?? [],
                InputPaths = inputPaths,
                IsInline = requests.HasValue,
                Metadata = metadata,
                Endpoint = endpoint!,
                Model = model,
                AgentId = agentId,
                Requests = requestCount,
                TimeoutHours = timeoutHours ?? 24,
                CreatedAt = timeProvider.GetUtcNow(),
                ForcedOutcome = store.TakeOutcome(),
                OutputPath = store.NewPath(".output.jsonl"),
                ErrorPath = store.NewPath(".error.jsonl"),
            };
            store.AddJob(job);
            store.NotePending(pending + requestCount);
            return Results.Json(ToDto(job, includeOutputs: false), EmulatorJsonContext.Default.JobDto);
        }
    }

    private static IResult List(HttpContext context, EmulatorStore store, JobProcessor processor)
    {
        var query = new QueryReader(context.Request.Query);
        var page = query.Int("page", 0);
        var pageSize = query.Int("page_size", 100, minimum: 1);
        var model = query.String("model");
        var agentId = query.String("agent_id");
        var statuses = query.Strings("status", WireValues.Statuses);
        var orders = query.Strings("order_by", WireValues.JobOrders);
        var order = orders.Count > 0 ? orders[0] : "-created";
        var byMe = query.Bool("created_by_me") == true;
        DateTimeOffset? createdAfter = null;
        if (query.String("created_after") is { } after)
        {
            if (DateTimeOffset.TryParse(after, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                createdAfter = parsed;
            }
            else
            {
                query.Issues.Add(new ValidationIssue("datetime_from_date_parsing", ["query", "created_after"], "Input should be a valid datetime", after));
            }
        }

        // The metadata dict is flattened by the SDKs: every key that is not a list parameter filters metadata.
        var metadata = context.Request.Query
            .Where(pair => !ListKeys.Contains(pair.Key))
            .ToDictionary(pair => pair.Key, pair => pair.Value.ToString(), StringComparer.Ordinal);
        if (query.Issues.Count > 0)
        {
            return EmulatorErrors.Validation(query.Issues);
        }

        // Only the jobs the fixed filters keep are advanced (the status filter needs them current): advancing runs
        // the fake model over a job's lines, and a list by metadata would otherwise process every job held.
        var candidates = store.Jobs
            .Where(j => model is null || j.Model == model)
            .Where(j => agentId is null || j.AgentId == agentId)
            .Where(j => createdAfter is null || j.CreatedAt > createdAfter)
            .Where(j => !byMe || j.Owner == StoredJob.Me)
            .Where(j => store.Settings.IgnoreListMetadata || metadata.All(pair => j.Metadata is not null && j.Metadata.TryGetValue(pair.Key, out var value) && value == pair.Value))
            .ToList();
        foreach (var job in candidates)
        {
            processor.Advance(job);
        }

        var matching = candidates.Where(j => statuses.Count == 0 || statuses.Contains(j.Status));
        var ordered = (order == "created"
                ? matching.OrderBy(j => j.CreatedAt).ThenBy(j => j.Id, StringComparer.Ordinal)
                : matching.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id, StringComparer.Ordinal))
            .ToList();
        var data = ordered.Skip(page * pageSize).Take(pageSize).Select(j => ToDto(j, includeOutputs: false)).ToList();
        return Results.Json(new ListDto<JobDto>(data, "list", ordered.Count), EmulatorJsonContext.Default.ListDtoJobDto);
    }

    private static IResult Get(string jobId, HttpContext context, EmulatorStore store, JobProcessor processor)
    {
        if (WireValues.InvalidUuid(jobId, "job_id") is { } invalid)
        {
            return invalid;
        }

        var query = new QueryReader(context.Request.Query);
        var inline = query.Bool("inline");
        if (query.Issues.Count > 0)
        {
            return EmulatorErrors.Validation(query.Issues);
        }

        if (store.FindJob(jobId) is not { } job)
        {
            return EmulatorErrors.NotFound($"Batch job {jobId} not found.");
        }

        processor.Advance(job);
        return Results.Json(ToDto(job, includeOutputs: inline == true || job.IsInline), EmulatorJsonContext.Default.JobDto);
    }

    private static IResult Cancel(string jobId, EmulatorStore store, JobProcessor processor)
    {
        if (WireValues.InvalidUuid(jobId, "job_id") is { } invalid)
        {
            return invalid;
        }

        if (store.FindJob(jobId) is not { } job)
        {
            return EmulatorErrors.NotFound($"Batch job {jobId} not found.");
        }

        // Cancelling a finished job changes nothing and is not an error: cancel stays safe to repeat.
        processor.RequestCancel(job);
        return Results.Json(ToDto(job, includeOutputs: false), EmulatorJsonContext.Default.JobDto);
    }

    private static IResult Delete(string jobId, EmulatorStore store, JobProcessor processor)
    {
        if (WireValues.InvalidUuid(jobId, "job_id") is { } invalid)
        {
            return invalid;
        }

        if (store.FindJob(jobId) is not { } job)
        {
            return EmulatorErrors.NotFound($"Batch job {jobId} not found.");
        }

        processor.Advance(job);
        if (!job.IsTerminal)
        {
            return EmulatorErrors.Generic(400, $"Batch job {jobId} is {job.Status}; only finished jobs can be deleted.", "invalid_request_error", null);
        }

        store.RemoveJob(jobId);
        return Results.Json(new DeletedDto(jobId, "batch", true), EmulatorJsonContext.Default.DeletedDto);
    }

    private static JobDto ToDto(StoredJob job, bool includeOutputs)
    {
        lock (job.Gate)
        {
            return new JobDto(
                job.Id,
                "batch",
                job.InputFiles,
                job.Metadata,
                job.Endpoint,
                job.Model,
                job.AgentId,
                job.OutputFile,
                job.ErrorFile,
                [.. job.Errors],
                includeOutputs && job.IsTerminal ? JobProcessor.ReadOutputs(job) : null,
                job.Status,
                job.CreatedAt.ToUnixTimeSeconds(),
                job.Status == "QUEUED" ? 0 : job.Total,
                job.Completed,
                job.Succeeded,
                job.Failed,
                job.StartedAt?.ToUnixTimeSeconds(),
                job.CompletedAt?.ToUnixTimeSeconds());
        }
    }

    private static string? ReadString(JsonElement root, string name, List<ValidationIssue> issues, bool required)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                issues.Add(new ValidationIssue("missing", ["body", name], "Field required", null));
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            issues.Add(new ValidationIssue("string_type", ["body", name], "Input should be a valid string", JsonNode.Parse(value.GetRawText())));
            return null;
        }

        return value.GetString();
    }

    private static int? ReadTimeout(JsonElement root, List<ValidationIssue> issues)
    {
        if (!root.TryGetProperty("timeout_hours", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var hours))
        {
            issues.Add(new ValidationIssue("int_type", ["body", "timeout_hours"], "Input should be a valid integer", JsonNode.Parse(value.GetRawText())));
            return null;
        }

        if (hours is < 1 or > 168)
        {
            issues.Add(new ValidationIssue(hours < 1 ? "greater_than_equal" : "less_than_equal", ["body", "timeout_hours"], hours < 1 ? "Input should be greater than or equal to 1" : "Input should be less than or equal to 168", hours));
            return null;
        }

        return hours;
    }

    private static Dictionary<string, string>? ReadMetadata(JsonElement root, List<ValidationIssue> issues)
    {
        if (!root.TryGetProperty("metadata", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            issues.Add(new ValidationIssue("dict_type", ["body", "metadata"], "Input should be a valid dictionary", null));
            return null;
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in value.EnumerateObject())
        {
            if (pair.Name.Length is < 1 or > 32)
            {
                issues.Add(new ValidationIssue(pair.Name.Length < 1 ? "string_too_short" : "string_too_long", ["body", "metadata", pair.Name, "[key]"], "Metadata keys must have 1 to 32 characters", pair.Name));
            }

            if (pair.Value.ValueKind != JsonValueKind.String)
            {
                issues.Add(new ValidationIssue("string_type", ["body", "metadata", pair.Name], "Input should be a valid string", null));
                continue;
            }

            var text = pair.Value.GetString()!;
            if (text.Length is < 1 or > 512)
            {
                issues.Add(new ValidationIssue(text.Length < 1 ? "string_too_short" : "string_too_long", ["body", "metadata", pair.Name], "Metadata values must have 1 to 512 characters", null));
            }

            metadata[pair.Name] = text;
        }

        return metadata;
    }

    private static List<string>? ReadInputFiles(JsonElement root, List<ValidationIssue> issues)
    {
        if (!root.TryGetProperty("input_files", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            issues.Add(new ValidationIssue("list_type", ["body", "input_files"], "Input should be a valid list", null));
            return null;
        }

        var files = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || !Guid.TryParse(item.GetString(), out _))
            {
                issues.Add(new ValidationIssue("uuid_parsing", ["body", "input_files", index], "Input should be a valid UUID", JsonNode.Parse(item.GetRawText())));
            }
            else
            {
                files.Add(item.GetString()!);
            }

            index++;
        }

        return files;
    }

    private static JsonElement? ValidateRequests(JsonElement requests, List<ValidationIssue> issues)
    {
        if (requests.ValueKind != JsonValueKind.Array)
        {
            issues.Add(new ValidationIssue("list_type", ["body", "requests"], "Input should be a valid list", null));
            return null;
        }

        var count = requests.GetArrayLength();
        if (count > MaxInlineRequests)
        {
            issues.Add(new ValidationIssue("too_long", ["body", "requests"], $"List should have at most {MaxInlineRequests} items after validation, not {count}", null));
            return null;
        }

        var index = 0;
        foreach (var item in requests.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                issues.Add(new ValidationIssue("model_type", ["body", "requests", index], "Input should be an object", null));
            }
            else
            {
                foreach (var property in item.EnumerateObject())
                {
                    if (property.Name is not ("custom_id" or "body"))
                    {
                        issues.Add(new ValidationIssue("extra_forbidden", ["body", "requests", index, property.Name], "Extra inputs are not permitted", null));
                    }
                }

                if (!item.TryGetProperty("body", out var body))
                {
                    issues.Add(new ValidationIssue("missing", ["body", "requests", index, "body"], "Field required", null));
                }
                else if (body.ValueKind != JsonValueKind.Object)
                {
                    issues.Add(new ValidationIssue("dict_type", ["body", "requests", index, "body"], "Input should be a valid dictionary", null));
                }

                if (item.TryGetProperty("custom_id", out var customId) && customId.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                {
                    issues.Add(new ValidationIssue("string_type", ["body", "requests", index, "custom_id"], "Input should be a valid string", null));
                }
            }

            index++;
        }

        return issues.Count == 0 ? requests : null;
    }
}
