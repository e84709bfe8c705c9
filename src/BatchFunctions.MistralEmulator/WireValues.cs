namespace BatchFunctions.MistralEmulator;

/// <summary>The contract's enumerations, as the server validates them.</summary>
internal static class WireValues
{
    public static readonly IReadOnlySet<string> Purposes = new HashSet<string>(StringComparer.Ordinal) { "fine-tune", "batch", "ocr" };

    public static readonly IReadOnlySet<string> SampleTypes = new HashSet<string>(StringComparer.Ordinal) { "pretrain", "instruct", "batch_request", "batch_result", "batch_error" };

    public static readonly IReadOnlySet<string> Sources = new HashSet<string>(StringComparer.Ordinal) { "upload", "repository", "mistral" };

    public static readonly IReadOnlySet<string> Visibilities = new HashSet<string>(StringComparer.Ordinal) { "workspace", "user" };

    public static readonly IReadOnlySet<string> Endpoints = new HashSet<string>(StringComparer.Ordinal)
    {
        "/v1/chat/completions", "/v1/embeddings", "/v1/fim/completions", "/v1/moderations", "/v1/chat/moderations",
        "/v1/ocr", "/v1/classifications", "/v1/chat/classifications", "/v1/conversations", "/v1/audio/transcriptions",
    };

    public static readonly IReadOnlySet<string> Statuses = new HashSet<string>(StringComparer.Ordinal)
    {
        "QUEUED", "RUNNING", "SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLATION_REQUESTED", "CANCELLED",
    };

    public static readonly IReadOnlySet<string> JobOrders = new HashSet<string>(StringComparer.Ordinal) { "created", "-created" };

    public static IResult? InvalidUuid(string value, string name) =>
        Guid.TryParse(value, out _)
            ? null
            : EmulatorErrors.Validation([new ValidationIssue("uuid_parsing", ["path", name], "Input should be a valid UUID", value)]);
}
