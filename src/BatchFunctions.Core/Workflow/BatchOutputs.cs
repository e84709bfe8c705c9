namespace BatchFunctions.Core.Workflow;

/// <summary>Where a batch's files were written (blob URIs).</summary>
/// <param name="Results">results.jsonl, one line per succeeded request.</param>
/// <param name="Errors">errors.jsonl, when any request failed.</param>
/// <param name="Summary">summary.json.</param>
/// <param name="Rejection">rejection.json, for a rejected input.</param>
/// <param name="CombinedResults">For a retry: the results of the whole original input, each line from its latest attempt.</param>
/// <param name="CombinedErrors">For a retry: the lines of the whole original input that no attempt got to succeed.</param>
/// <param name="CombinedSummary">For a retry: the counts of every attempt and of the combined files.</param>
public sealed record BatchOutputs(string? Results = null, string? Errors = null, string? Summary = null, string? Rejection = null, string? CombinedResults = null, string? CombinedErrors = null, string? CombinedSummary = null);
