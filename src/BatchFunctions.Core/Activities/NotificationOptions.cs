namespace BatchFunctions.Core.Activities;

/// <summary>Where completion messages go besides the completion queue. Bound from the <c>Notifications</c> section.</summary>
public sealed class NotificationOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Notifications";

    /// <summary>The prefix of a Standard Webhooks secret; the rest is the key, in base64.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>
    /// A URL that receives each completion message as a JSON POST (at least once: deduplicate by id), retried on
    /// transient failures. It may carry a secret in its query, so it is never logged.
    /// </summary>
    public Uri? WebhookUrl { get; set; }

    /// <summary>Attempts at delivering one message before giving up (the queue message stays the lasting record).</summary>
    public int WebhookAttempts { get; set; } = 5;

    /// <summary>
    /// The key each webhook delivery is signed with (HMAC-SHA256 over id, timestamp and body, in the Standard
    /// Webhooks headers): <c>whsec_</c> and 24 to 64 random bytes in base64. Unsigned deliveries when null.
    /// </summary>
    public string? WebhookSecret { get; set; }

    /// <summary>
    /// An Event Grid topic (CloudEvents 1.0 input schema) that gets a <c>BatchFunctions.BatchCompleted</c>
    /// event per batch; none when null.
    /// </summary>
    public Uri? EventGridTopicEndpoint { get; set; }

    /// <summary>The topic's access key; without one the app's managed identity is used (the <c>EventGrid Data Sender</c> role).</summary>
    public string? EventGridTopicKey { get; set; }

    /// <summary>The webhook key, decoded; null when there is none or it is malformed (which start-up validation reports).</summary>
    public byte[]? WebhookKey() => DecodeSecret(WebhookSecret);

    /// <summary>A Standard Webhooks secret's key bytes, or null when it is not one.</summary>
    public static byte[]? DecodeSecret(string? secret)
    {
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var key = new byte[secret.Length];
        return Convert.TryFromBase64String(secret[SecretPrefix.Length..], key, out var written) && written is >= 24 and <= 64 ? key[..written] : null;
    }
}
