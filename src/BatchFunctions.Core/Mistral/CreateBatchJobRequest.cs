using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>What to create a batch job from: uploaded files or inline requests, and a model or an agent.</summary>
public sealed record CreateBatchJobRequest
{
    /// <summary>The endpoint every request goes to.</summary>
    public required ApiEndpoint Endpoint { get; init; }

    /// <summary>Uploaded <c>purpose=batch</c> files; exclusive with <see cref="Requests"/>.</summary>
    public IReadOnlyList<string>? InputFiles { get; init; }

    /// <summary>Inline requests; exclusive with <see cref="InputFiles"/>.</summary>
    public IReadOnlyList<BatchRequest>? Requests { get; init; }

    /// <summary>The model; exclusive with <see cref="AgentId"/>. May be omitted when every line names one.</summary>
    public string? Model { get; init; }

    /// <summary>The agent; exclusive with <see cref="Model"/>.</summary>
    public string? AgentId { get; init; }

    /// <summary>String pairs echoed on the job and usable as a list filter.</summary>
    [JsonConverter(typeof(MetadataJsonConverter))]
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Hours before the job expires (1 to 168); the API defaults to 24.</summary>
    public int? TimeoutHours { get; init; }
}
