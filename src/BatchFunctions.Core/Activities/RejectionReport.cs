using BatchFunctions.Core.Jsonl;

namespace BatchFunctions.Core.Activities;

/// <summary>rejection.json: why nothing was submitted. The input is kept where it was.</summary>
public sealed record RejectionReport(
    string InstanceId,
    string InputContainer,
    string InputName,
    string InputETag,
    IReadOnlyList<string> SettingsErrors,
    JsonlValidationReport? Validation)
{
    /// <summary>Why the input was refused, in one line (<see cref="Workflow.BatchProgress.DescribeRejection"/>).</summary>
    public string Describe() => Workflow.BatchProgress.DescribeRejection(
        SettingsErrors.Count + (Validation?.ErrorCount ?? 0),
        SettingsErrors.Count > 0 ? SettingsErrors[0] : null,
        Validation is { Errors.Count: > 0 } validation ? validation.Errors[0] : null);
}
