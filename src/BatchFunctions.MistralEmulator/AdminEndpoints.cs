using System.Text.Json;
using Microsoft.Extensions.Options;

namespace BatchFunctions.MistralEmulator;

/// <summary>
/// <c>/_emulator</c>: test controls that the real API does not have. Faults, forced job outcomes, processing
/// speed, the record of calls, and a reset. Unauthenticated: the emulator listens on loopback.
/// </summary>
internal static class AdminEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/_emulator");
        admin.MapGet("/health", () => Results.Text("{\"status\":\"ok\"}", "application/json"));
        admin.MapGet("/calls", (CallRecorder calls) => Results.Json(calls.Snapshot(), EmulatorJsonContext.Default.IReadOnlyListRecordedCall));
        admin.MapDelete("/calls", (CallRecorder calls) =>
        {
            calls.Clear();
            return Results.NoContent();
        });
        admin.MapPost("/faults", AddFaultAsync);
        admin.MapDelete("/faults", (FaultInjector faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        admin.MapPost("/outcomes", AddOutcomeAsync);
        admin.MapPut("/settings", UpdateSettingsAsync);
        admin.MapGet("/workspace", (EmulatorStore store, JobProcessor processor) =>
            Results.Json(new WorkspaceDto(processor.WorkspacePending(), store.PeakPending, store.Settings.MaxPendingRequests), EmulatorJsonContext.Default.WorkspaceDto));
        admin.MapPost("/foreign-jobs", AddForeignJobAsync);
        admin.MapPost("/reset", (EmulatorStore store, FaultInjector faults, CallRecorder calls, IOptions<MistralEmulatorOptions> options) =>
        {
            store.Reset(options.Value);
            faults.Clear();
            calls.Clear();
            return Results.NoContent();
        });
    }

    private static async Task<IResult> AddFaultAsync(HttpContext context, FaultInjector faults)
    {
        var rule = await ReadAsync(context, EmulatorJsonContext.Default.FaultRule);
        if (rule is null || !FaultInjector.Kinds.Contains(rule.Kind))
        {
            return Results.Problem($"kind must be one of {string.Join(", ", FaultInjector.Kinds)}.", statusCode: 400);
        }

        if ((rule.Count is null) == (rule.Rate is null) || rule.Count < 1 || rule.Rate is < 0 or > 1)
        {
            return Results.Problem("Give either count (at least 1) or rate (0 to 1).", statusCode: 400);
        }

        faults.Add(rule);
        return Results.NoContent();
    }

    private static async Task<IResult> AddOutcomeAsync(HttpContext context, EmulatorStore store)
    {
        var rule = await ReadAsync(context, EmulatorJsonContext.Default.JobOutcomeRule);
        if (rule is null || rule.Status is not ("FAILED" or "TIMEOUT_EXCEEDED") || rule.AfterRequests < 0 || rule.Count is < 1)
        {
            return Results.Problem("status must be FAILED or TIMEOUT_EXCEEDED, after_requests not negative, count at least 1.", statusCode: 400);
        }

        store.AddOutcome(rule);
        return Results.NoContent();
    }

    /// <summary>A job another user of the workspace made (no input, done at once), for tests of what a client adopts as its own.</summary>
    private static async Task<IResult> AddForeignJobAsync(HttpContext context, EmulatorStore store, TimeProvider timeProvider)
    {
        var request = await ReadAsync(context, EmulatorJsonContext.Default.ForeignJobDto);
        if (request is null)
        {
            return Results.Problem("The body must be {\"metadata\": {...}, \"owner\": \"...\"}.", statusCode: 400);
        }

        var job = new StoredJob
        {
            Id = Guid.NewGuid().ToString(),
            InputFiles = [],
            InputPaths = [],
            IsInline = false,
            Metadata = request.Metadata,
            Endpoint = "/v1/chat/completions",
            Model = "mistral-small-latest",
            TimeoutHours = 24,
            CreatedAt = timeProvider.GetUtcNow(),
            Owner = request.Owner ?? "another-user",
            OutputPath = store.NewPath(".output.jsonl"),
            ErrorPath = store.NewPath(".error.jsonl"),
        };
        store.AddJob(job);
        return Results.Json(new Dictionary<string, string> { ["id"] = job.Id }, EmulatorJsonContext.Default.DictionaryStringString);
    }

    private static async Task<IResult> UpdateSettingsAsync(HttpContext context, EmulatorStore store)
    {
        var update = await ReadAsync(context, EmulatorJsonContext.Default.SettingsDto);
        if (update is null || update.QueueDelaySeconds < 0 || update.CancellationDelaySeconds < 0 || update.MaxApiRequestsPerSecond < 0)
        {
            return Results.Problem("Delays and limits must not be negative.", statusCode: 400);
        }

        var current = store.Settings;
        store.Settings = new EmulatorSettings(
            update.QueueDelaySeconds is { } queue ? TimeSpan.FromSeconds(queue) : current.QueueDelay,
            update.RequestsPerSecond ?? current.RequestsPerSecond,
            update.CancellationDelaySeconds is { } cancel ? TimeSpan.FromSeconds(cancel) : current.CancellationDelay,
            update.IgnoreListMetadata ?? current.IgnoreListMetadata,
            update.MaxPendingRequests ?? current.MaxPendingRequests,
            update.MaxApiRequestsPerSecond ?? current.MaxApiRequestsPerSecond);
        return Results.NoContent();
    }

    private static async Task<T?> ReadAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, typeInfo, context.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
