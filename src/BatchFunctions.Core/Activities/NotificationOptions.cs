namespace BatchFunctions.Core.Activities;

/// <summary>Where completion messages go besides the completion queue. Bound from the <c>Notifications</c> section.</summary>
public sealed class NotificationOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Notifications";

    /// <summary>
    /// A URL that receives each completion message as a JSON POST (at least once: deduplicate by id), retried on
    /// transient failures. It may carry a secret in its query, so it is never logged.
    /// </summary>
    public Uri? WebhookUrl { get; set; }

    /// <summary>Attempts at delivering one message before giving up (the queue message stays the lasting record).</summary>
    public int WebhookAttempts { get; set; } = 5;
}
