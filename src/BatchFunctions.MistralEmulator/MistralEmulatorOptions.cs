namespace BatchFunctions.MistralEmulator;

/// <summary>How the emulator behaves. Bound from the <c>Emulator</c> configuration section; tests set it directly.</summary>
public sealed class MistralEmulatorOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Emulator";

    /// <summary>The bearer token required on <c>/v1</c> routes; when null, any non-empty token is accepted.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Where file contents are kept; a new temporary folder when null, removed at shutdown.</summary>
    public string? StorageDirectory { get; set; }

    /// <summary>The largest accepted upload (Mistral publishes 512 MB); larger ones get 413.</summary>
    public long MaxFileBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>How long a new job stays QUEUED.</summary>
    public TimeSpan QueueDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests the fake model completes per second of a running job; 0 or less completes them at once.</summary>
    public double RequestsPerSecond { get; set; } = 200;

    /// <summary>
    /// The workspace's limit of pending requests (requests of QUEUED, RUNNING and CANCELLATION_REQUESTED jobs not
    /// yet processed); a job that would pass it is refused with a 400 naming the limit. 0 or less: no limit.
    /// Mistral's is 1,000,000.
    /// </summary>
    public long MaxPendingRequests { get; set; }

    /// <summary>
    /// The workspace's rate limit: API calls per second, all keys together, past which a call is answered 429 with
    /// <c>Retry-After</c> (as Mistral's gateway does). 0 or less: no limit.
    /// </summary>
    public double MaxApiRequestsPerSecond { get; set; }

    /// <summary>How long CANCELLATION_REQUESTED lasts before CANCELLED.</summary>
    public TimeSpan CancellationDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Models that exist; an unknown model fails job creation. Empty accepts any model.</summary>
    public IList<string> KnownModels { get; } =
    [
        "mistral-small-latest", "mistral-medium-latest", "mistral-large-latest", "ministral-3b-latest", "ministral-8b-latest",
        "open-mistral-nemo", "codestral-latest", "mistral-embed", "mistral-moderation-latest", "mistral-ocr-latest", "pixtral-large-latest",
        "voxtral-mini-latest", "voxtral-small-latest", "magistral-medium-latest", "devstral-medium-latest",
    ];

    /// <summary>Seed of the random source that decides rate-based faults, so that a run can be repeated.</summary>
    public int FaultSeed { get; set; } = 12345;
}
