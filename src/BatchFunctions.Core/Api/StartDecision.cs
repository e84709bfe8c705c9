using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Api;

/// <summary>What a <c>POST /api/batches</c> comes to before anything is started: both hosts act on it the same way.</summary>
public abstract record StartDecision;

/// <summary>The request cannot start a batch: answer this problem.</summary>
/// <param name="Status">The HTTP status (400, 422).</param>
/// <param name="Title">The problem's title.</param>
/// <param name="Detail">What is wrong, naming the field.</param>
/// <param name="Errors">Every problem, when there are several.</param>
public sealed record StartRefused(int Status, string Title, string Detail, IReadOnlyList<string>? Errors = null) : StartDecision;

/// <summary>Start (or find) the batch of <paramref name="Source"/> through <see cref="StartRequestReader.StartAsync"/>, which records it under the request's key.</summary>
/// <param name="Source">The input version.</param>
/// <param name="Claim">The request's hold on its <c>Idempotency-Key</c>, if it gave one.</param>
/// <param name="RequestHash">The request's fingerprint.</param>
/// <param name="Retry">What a retry was made of, when this is one.</param>
public sealed record StartSource(BatchSource Source, IdempotencyClaim? Claim, string RequestHash, RetryPlan? Retry = null) : StartDecision;

/// <summary>The same request came before with the same <c>Idempotency-Key</c>: answer with its batch.</summary>
/// <param name="InstanceId">The batch it started.</param>
public sealed record StartRepeated(string InstanceId) : StartDecision;

/// <summary>A dry run (<c>?dry_run=true</c>) of a request that would start: what it would run and cost; nothing was stored or started.</summary>
/// <param name="Response">The answer's body.</param>
public sealed record StartDryRun(DryRunResponse Response) : StartDecision;

/// <summary>The answers both hosts give to a request whose body the web server could not read.</summary>
public static class UnreadableBody
{
    /// <summary>
    /// The refusal of a body the server gave up on with <paramref name="status"/> (400: not valid HTTP framing,
    /// such as a bad chunk size or a body shorter than its Content-Length; 408: the body stopped arriving).
    /// </summary>
    public static StartRefused Refusal(int status) => status switch
    {
        408 => new StartRefused(408, "Request body timed out", "The request body stopped arriving before it was whole (fewer bytes than its Content-Length, or too slowly); nothing was stored or started. Send the request again."),
        413 => new StartRefused(413, "Body too large", "The request body is larger than this host accepts; nothing was stored or started. Drop large files into the input container."),
        _ => new StartRefused(status, "Malformed request body", "The request body is not valid HTTP framing (a bad chunk size, or fewer bytes than its Content-Length); nothing was stored or started. Send the request again."),
    };
}
