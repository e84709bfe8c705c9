namespace BatchFunctions.Core.Mistral;

/// <summary>A job-level error summary, aggregated by message.</summary>
public sealed record BatchError
{
    /// <summary>What went wrong.</summary>
    public string Message { get; init; } = string.Empty;

    /// <summary>How many times it happened.</summary>
    public int Count { get; init; } = 1;
}
