using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Workflow;

/// <summary>How an activity ended: expected failures are data, so that the decider owns every retry.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ActivityStatus>))]
public enum ActivityStatus
{
    /// <summary>Done; see the payload.</summary>
    Succeeded,

    /// <summary>A transient failure: the same call may succeed later.</summary>
    Retryable,

    /// <summary>A failure no retry will fix (the server's message says why).</summary>
    Permanent,

    /// <summary>
    /// Refused for a limit that frees up as other work ends (a workspace's pending requests, a rate): the same
    /// call is tried again after a growing wait, and the waits never use up the step's attempts.
    /// </summary>
    Waiting,
}
