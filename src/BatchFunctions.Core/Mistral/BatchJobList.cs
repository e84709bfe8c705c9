using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>One page of batch jobs.</summary>
public sealed record BatchJobList
{
    /// <summary>Creates a page.</summary>
    [JsonConstructor]
    public BatchJobList(IReadOnlyList<BatchJob>? data) => Data = data ?? [];

    /// <summary>The jobs on this page.</summary>
    public IReadOnlyList<BatchJob> Data { get; init; }

    /// <summary>Always <c>list</c>.</summary>
    [JsonPropertyName("object")]
    public string? ObjectType { get; init; }

    /// <summary>All matching jobs.</summary>
    public long? Total { get; init; }
}
