using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>The answer to deleting a file or a batch job.</summary>
public sealed record DeletionResult
{
    /// <summary>Creates the answer; <c>deleted</c> defaults to true as in the contract.</summary>
    [JsonConstructor]
    public DeletionResult(string id, bool deleted = true)
    {
        Id = id;
        Deleted = deleted;
    }

    /// <summary>The id of the deleted object.</summary>
    public string Id { get; init; }

    /// <summary><c>file</c> or <c>batch</c>.</summary>
    [JsonPropertyName("object")]
    public string? ObjectType { get; init; }

    /// <summary>Whether it was deleted.</summary>
    public bool Deleted { get; init; }
}
