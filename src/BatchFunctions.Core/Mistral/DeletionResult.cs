using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>The answer to deleting a file or a batch job.</summary>
public sealed record DeletionResult
{
    /// <summary>The id of the deleted object.</summary>
    public required string Id { get; init; }

    /// <summary><c>file</c> or <c>batch</c>.</summary>
    [JsonPropertyName("object")]
    public string ObjectType { get; init; } = string.Empty;

    /// <summary>Whether it was deleted.</summary>
    public bool Deleted { get; init; } = true;
}
