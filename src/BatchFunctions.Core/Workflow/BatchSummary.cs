using BatchFunctions.Core.Jsonl;

namespace BatchFunctions.Core.Workflow;

/// <summary>summary.json: how a batch ended, with every input request accounted for.</summary>
public sealed record BatchSummary(
    string InstanceId,
    BatchOutcome Status,
    string Message,
    string? Failure,
    string InputContainer,
    string InputName,
    BatchSettings? Settings,
    BatchUsage? Usage,
    IReadOnlyList<PartSummary> Jobs,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt,
    BatchOutputs Outputs,
    Pricing.BatchCost? Cost = null,
    string? ParentId = null);

/// <summary>One job in summary.json.</summary>
public sealed record PartSummary(int Part, string? JobId, string? Status, int Total, int Completed, int Succeeded, int Failed, IReadOnlyList<string> Errors);
