namespace BatchFunctions.Core.Mistral;

/// <summary>Where Mistral is, how to authenticate, and how patient to be. Bound from the <c>Mistral</c> section.</summary>
public sealed class MistralClientOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Mistral";

    /// <summary>The API's base address: the real API or the emulator.</summary>
    public Uri BaseAddress { get; set; } = new("https://api.mistral.ai/");

    /// <summary>The API key, sent as a bearer token. Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// A name for this Mistral that stays when its address changes (the built-in emulator's port is new each
    /// time); batches are bound to it instead of <see cref="BaseAddress"/>. Null: the address.
    /// </summary>
    public string? Identity { get; set; }

    /// <summary>Time for one attempt of an ordinary call, until the response headers arrive.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Time for one attempt of a file upload, or until a download's headers arrive.</summary>
    public TimeSpan TransferTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Retries of a transient HTTP failure after the first attempt.</summary>
    public int MaxRetryAttempts { get; set; } = 5;

    /// <summary>First backoff delay; doubles with jitter on each retry.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest wait the HTTP layer accepts from <c>Retry-After</c> or a rate-limit reset header. A longer
    /// wait is not slept through here: the error surfaces with <see cref="MistralApiException.RetryAfter"/>
    /// so the workflow can wait on a durable timer instead.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The most inline requests one job accepts (the published limit is 10,000).</summary>
    public int MaxInlineRequests { get; set; } = 10_000;

    /// <summary>
    /// Requests per second that every Mistral call of this process shares, whichever batch makes it (retries
    /// included); 0 for no budget. A 429 that says how long to wait pauses every call for that long either way.
    /// </summary>
    public double MaxRequestsPerSecond { get; set; }

    /// <summary>
    /// The most requests the workspace may have pending (in queued and running jobs, anyone's) when a part's job is
    /// created: a part waits, in a queue every host on the storage account shares, until its requests fit. Mistral's
    /// published limit is 1,000,000; 0 turns admission off. Parts are planned no larger than this.
    /// </summary>
    public long MaxPendingRequests { get; set; } = 1_000_000;

    /// <summary>How often a part waiting for workspace capacity looks again (on a durable timer).</summary>
    public TimeSpan CapacityRecheck { get; set; } = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public override string ToString() =>
        $"BaseAddress={BaseAddress}, ApiKey={(string.IsNullOrEmpty(ApiKey) ? "(none)" : "(set)")}";
}
