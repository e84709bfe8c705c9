using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Workflow;

/// <summary>
/// Where a batch's parts stand in the queue for the workspace's capacity: higher first, and first come,
/// first served within one priority. It orders the waiting only; it never takes capacity already granted.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<BatchPriority>))]
public enum BatchPriority
{
    /// <summary>Ahead of every normal and low batch.</summary>
    High,

    /// <summary>The default.</summary>
    Normal,

    /// <summary>Behind every high and normal batch.</summary>
    Low,
}

/// <summary>The one spelling of a priority in requests, messages, blob metadata and the CLI: <c>high</c>, <c>normal</c>, <c>low</c>.</summary>
public static class BatchPriorities
{
    /// <summary>The spellings accepted, for error messages.</summary>
    public const string Accepted = "high, normal or low";

    /// <summary>The priority spelled <paramref name="text"/> (any case), or null.</summary>
    public static BatchPriority? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "high" => BatchPriority.High,
        "normal" => BatchPriority.Normal,
        "low" => BatchPriority.Low,
        _ => null,
    };

    /// <summary>How <paramref name="priority"/> is spelled on the wire.</summary>
    public static string Format(BatchPriority priority) => priority switch
    {
        BatchPriority.High => "high",
        BatchPriority.Low => "low",
        _ => "normal",
    };
}
