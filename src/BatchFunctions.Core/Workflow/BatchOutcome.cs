using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Workflow;

/// <summary>How a batch ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BatchOutcome>))]
public enum BatchOutcome
{
    /// <summary>Every job succeeded (some request lines may still have failed: see the counts).</summary>
    Succeeded,

    /// <summary>A job failed, or a permanent error stopped the batch.</summary>
    Failed,

    /// <summary>Cancelled on request; partial results were kept.</summary>
    Cancelled,

    /// <summary>The time limit passed; partial results were kept.</summary>
    TimedOut,

    /// <summary>The input was invalid and nothing was submitted.</summary>
    Rejected,
}
