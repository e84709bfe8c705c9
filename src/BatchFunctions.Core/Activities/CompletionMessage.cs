using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Activities;

/// <summary>
/// The message sent to the completion queue when a batch ends, for pipelines that chain on it. Delivery is
/// at least once: consumers deduplicate by <see cref="Id"/>.
/// </summary>
public sealed record CompletionMessage(
    string Id,
    BatchOutcome Status,
    string InputContainer,
    string InputName,
    long Requests,
    long Succeeded,
    long Failed,
    long Missing,
    string? Results,
    string? Errors,
    string? Summary,
    string? Rejection,
    string? Failure,
    long NotProcessed = 0,
    string? Message = null,
    Pricing.BatchCost? Cost = null,
    string? ParentId = null,
    BatchOutputs? Outputs = null);
