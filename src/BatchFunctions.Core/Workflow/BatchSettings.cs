namespace BatchFunctions.Core.Workflow;

/// <summary>The job settings of a batch: from the input blob's metadata, else the configured defaults.</summary>
/// <param name="Endpoint">The Mistral endpoint.</param>
/// <param name="Model">The model, or null when every line names one.</param>
/// <param name="TimeoutHours">Mistral's job timeout (1 to 168).</param>
/// <param name="Metadata">User metadata copied onto each job.</param>
/// <param name="ParentId">The batch this one retries (its lines that did not succeed), if it is a retry.</param>
/// <param name="ParentInput">The parent's input name, where its outputs are filed.</param>
/// <param name="Priority">Where its parts queue for the workspace's capacity.</param>
public sealed record BatchSettings(
    string Endpoint,
    string? Model,
    int TimeoutHours,
    IReadOnlyDictionary<string, string> Metadata,
    string? ParentId = null,
    string? ParentInput = null,
    BatchPriority Priority = BatchPriority.Normal);
