using System.Text.Json.Serialization;

namespace BatchFunctions.MistralEmulator;

/// <summary>The emulator's own wire format, written independently of the client's models so that tests compare two readings of the contract.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(FileDto))]
[JsonSerializable(typeof(ListDto<FileDto>))]
[JsonSerializable(typeof(JobDto))]
[JsonSerializable(typeof(ListDto<JobDto>))]
[JsonSerializable(typeof(DeletedDto))]
[JsonSerializable(typeof(UrlDto))]
[JsonSerializable(typeof(FaultRule))]
[JsonSerializable(typeof(JobOutcomeRule))]
[JsonSerializable(typeof(SettingsDto))]
[JsonSerializable(typeof(WorkspaceDto))]
[JsonSerializable(typeof(ForeignJobDto))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(IReadOnlyList<RecordedCall>))]
internal sealed partial class EmulatorJsonContext : JsonSerializerContext;

internal sealed record FileDto(
    string Id,
    string Object,
    long? Bytes,
    long CreatedAt,
    string Filename,
    string Purpose,
    string SampleType,
    string Source,
    long? NumLines,
    string? Mimetype,
    string? Signature,
    long? ExpiresAt,
    string? Visibility,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Deleted);

internal sealed record JobErrorDto(string Message, int Count);

internal sealed record JobDto(
    string Id,
    string Object,
    IReadOnlyList<string> InputFiles,
    IReadOnlyDictionary<string, string>? Metadata,
    string Endpoint,
    string? Model,
    string? AgentId,
    string? OutputFile,
    string? ErrorFile,
    IReadOnlyList<JobErrorDto> Errors,
    IReadOnlyList<System.Text.Json.JsonElement>? Outputs,
    string Status,
    long CreatedAt,
    int TotalRequests,
    int CompletedRequests,
    int SucceededRequests,
    int FailedRequests,
    long? StartedAt,
    long? CompletedAt);

internal sealed record ListDto<T>(IReadOnlyList<T> Data, string Object, long? Total);

internal sealed record DeletedDto(string Id, string Object, bool Deleted);

internal sealed record UrlDto(string Url);

internal sealed record SettingsDto(double? QueueDelaySeconds, double? RequestsPerSecond, double? CancellationDelaySeconds, bool? IgnoreListMetadata = null, long? MaxPendingRequests = null, double? MaxApiRequestsPerSecond = null);

/// <summary>A job of another user of the workspace, for <c>POST /_emulator/foreign-jobs</c>.</summary>
internal sealed record ForeignJobDto(Dictionary<string, string>? Metadata, string? Owner = null);

/// <summary><c>GET /_emulator/workspace</c>: the workspace's pending requests now, the most it had just after a create, and its limit (0: none).</summary>
internal sealed record WorkspaceDto(long PendingRequests, long PeakPendingRequests, long MaxPendingRequests);
