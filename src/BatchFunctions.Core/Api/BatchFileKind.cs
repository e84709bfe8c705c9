namespace BatchFunctions.Core.Api;

/// <summary>The files of a batch served by <c>GET /api/batches/{id}/files/{kind}</c>.</summary>
public enum BatchFileKind
{
    /// <summary><c>results.jsonl</c>: one line per request, in input order.</summary>
    Results,

    /// <summary><c>errors.jsonl</c>: the failed requests.</summary>
    Errors,

    /// <summary><c>summary.json</c>: status, counts, usage, job ids.</summary>
    Summary,

    /// <summary><c>rejection.json</c>: the validation report of an input that was not submitted.</summary>
    Rejection,

    /// <summary>A retry's <c>combined/results.jsonl</c>: the whole original input's results, each from its latest attempt.</summary>
    CombinedResults,

    /// <summary>A retry's <c>combined/errors.jsonl</c>: the original input's lines no attempt got to succeed.</summary>
    CombinedErrors,

    /// <summary>A retry's <c>combined/summary.json</c>: every attempt's counts.</summary>
    CombinedSummary,
}
