using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>A job-level error summary, aggregated by message.</summary>
public sealed record BatchError
{
    /// <summary>Creates a summary; <c>count</c> defaults to 1 as in the contract.</summary>
    [JsonConstructor]
    public BatchError(string? message, int count = 1)
    {
        Message = message ?? string.Empty;
        Count = count;
    }

    /// <summary>What went wrong.</summary>
    public string Message { get; init; }

    /// <summary>How many times it happened.</summary>
    public int Count { get; init; }
}
