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
}
