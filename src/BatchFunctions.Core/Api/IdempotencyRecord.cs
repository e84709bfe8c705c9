namespace BatchFunctions.Core.Api;

/// <summary>What an <c>Idempotency-Key</c> started: the fingerprint of the request and its batch.</summary>
/// <param name="RequestHash">SHA-256 of the request's kind, settings and body.</param>
/// <param name="InstanceId">The batch it started.</param>
/// <param name="CreatedAt">When; the record counts for <see cref="Activities.BatchDefaultsOptions.IdempotencyRetention"/> after it.</param>
public sealed record IdempotencyRecord(string RequestHash, string InstanceId, DateTimeOffset CreatedAt);
