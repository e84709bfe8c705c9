using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Api;

/// <summary>
/// What an <c>Idempotency-Key</c> stands for: while a request holds the key, a claim (no batch yet); once it
/// started its batch, the fingerprint of that request and the batch.
/// </summary>
/// <param name="RequestHash">SHA-256 of the request's kind, settings and body; null while the key is only claimed.</param>
/// <param name="InstanceId">The batch it started; null while the key is only claimed.</param>
/// <param name="CreatedAt">
/// When the batch was recorded (the record counts for <see cref="Settings.BatchDefaultsOptions.IdempotencyRetention"/>
/// after it), or, for a claim, when its holder last said it is still working.
/// </param>
public sealed record IdempotencyRecord(string? RequestHash, string? InstanceId, DateTimeOffset CreatedAt)
{
    /// <summary>Whether a request holds the key and has not yet started its batch.</summary>
    [JsonIgnore]
    public bool IsClaim => InstanceId is null;
}
