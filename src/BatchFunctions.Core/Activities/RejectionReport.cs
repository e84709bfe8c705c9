using BatchFunctions.Core.Jsonl;

namespace BatchFunctions.Core.Activities;

/// <summary>rejection.json: why nothing was submitted. The input is kept where it was.</summary>
public sealed record RejectionReport(
    string InstanceId,
    string InputContainer,
    string InputName,
    string InputETag,
    IReadOnlyList<string> SettingsErrors,
    JsonlValidationReport? Validation);
