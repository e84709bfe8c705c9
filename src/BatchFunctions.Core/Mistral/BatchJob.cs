using System.Text.Json;
using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>A Mistral batch job.</summary>
public sealed record BatchJob
{
    /// <summary>Creates a job description; missing lists become empty.</summary>
    [JsonConstructor]
    public BatchJob(string id, IReadOnlyList<string>? inputFiles, IReadOnlyList<BatchError>? errors)
    {
        Id = id;
        InputFiles = inputFiles ?? [];
        Errors = errors ?? [];
    }

    /// <summary>The job id.</summary>
    public string Id { get; init; }

    /// <summary>Always <c>batch</c>.</summary>
    [JsonPropertyName("object")]
    public string? ObjectType { get; init; }

    /// <summary>The uploaded input files; empty for inline jobs.</summary>
    public IReadOnlyList<string> InputFiles { get; init; }

    /// <summary>The metadata given at creation.</summary>
    [JsonConverter(typeof(MetadataJsonConverter))]
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>The endpoint every request goes to.</summary>
    public ApiEndpoint Endpoint { get; init; }

    /// <summary>The job's model; null for agent jobs or when each line names its own.</summary>
    public string? Model { get; init; }

    /// <summary>The agent, for agent jobs.</summary>
    public string? AgentId { get; init; }

    /// <summary>The results file, set at completion.</summary>
    public string? OutputFile { get; init; }

    /// <summary>The error file, set only when some requests failed.</summary>
    public string? ErrorFile { get; init; }

    /// <summary>Job-level errors; empty when none.</summary>
    public IReadOnlyList<BatchError> Errors { get; init; }

    /// <summary>Inline results, when asked for.</summary>
    public IReadOnlyList<JsonElement>? Outputs { get; init; }

    /// <summary>The job's status.</summary>
    public BatchJobStatus Status { get; init; }

    /// <summary>When the job was created.</summary>
    [JsonConverter(typeof(UnixSecondsJsonConverter))]
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Requests in the job; 0 until Mistral has validated the input.</summary>
    public int TotalRequests { get; init; }

    /// <summary>Requests processed so far.</summary>
    public int CompletedRequests { get; init; }

    /// <summary>Requests that succeeded so far.</summary>
    public int SucceededRequests { get; init; }

    /// <summary>Requests that failed so far.</summary>
    public int FailedRequests { get; init; }

    /// <summary>When processing started.</summary>
    [JsonConverter(typeof(NullableUnixSecondsJsonConverter))]
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the job reached a terminal status.</summary>
    [JsonConverter(typeof(NullableUnixSecondsJsonConverter))]
    public DateTimeOffset? CompletedAt { get; init; }
}
