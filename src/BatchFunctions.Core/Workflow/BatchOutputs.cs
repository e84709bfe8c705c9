namespace BatchFunctions.Core.Workflow;

/// <summary>Where a batch's files were written (blob URIs).</summary>
/// <param name="Results">results.jsonl, one line per succeeded request.</param>
/// <param name="Errors">errors.jsonl, when any request failed.</param>
/// <param name="Summary">summary.json.</param>
/// <param name="Rejection">rejection.json, for a rejected input.</param>
public sealed record BatchOutputs(string? Results = null, string? Errors = null, string? Summary = null, string? Rejection = null);
