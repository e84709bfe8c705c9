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

/// <summary>Start (or find) the batch of <paramref name="Source"/>, then <see cref="StartRequestReader.RememberAsync"/> it.</summary>
/// <param name="Source">The input version.</param>
/// <param name="IdempotencyKey">The request's key, if it gave one.</param>
/// <param name="RequestHash">The request's fingerprint.</param>
/// <param name="Retry">What a retry was made of, when this is one.</param>
public sealed record StartSource(BatchSource Source, string? IdempotencyKey, string RequestHash, RetryPlan? Retry = null) : StartDecision;

/// <summary>The same request came before with the same <c>Idempotency-Key</c>: answer with its batch.</summary>
/// <param name="InstanceId">The batch it started.</param>
public sealed record StartRepeated(string InstanceId) : StartDecision;

/// <summary>A dry run (<c>?dry_run=true</c>) of a request that would start: what it would run and cost; nothing was stored or started.</summary>
/// <param name="Response">The answer's body.</param>
public sealed record StartDryRun(DryRunResponse Response) : StartDecision;
