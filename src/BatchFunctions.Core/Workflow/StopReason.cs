using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Workflow;

/// <summary>Why a batch is winding down before its jobs finished by themselves.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StopReason>))]
public enum StopReason
{
    /// <summary>A user asked to cancel.</summary>
    Cancelled,

    /// <summary>The batch's time limit passed.</summary>
    Deadline,

    /// <summary>A permanent error.</summary>
    Failure,
}
