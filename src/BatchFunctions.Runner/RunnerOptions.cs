using System.ComponentModel.DataAnnotations;

namespace BatchFunctions.Runner;

/// <summary>The self-hosted runner's settings. Bound from the <c>Runner</c> section and validated at start-up.</summary>
public sealed class RunnerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Runner";

    /// <summary>The container holding one state record per batch, the lease blobs and the expiry markers.</summary>
    public string StateContainer { get; set; } = "batch-runner";

    /// <summary>
    /// This runner's name in leases and logs. Empty: a new one per process. Give a stable one only to a
    /// service that runs one process at a time: a restart then takes back its own leases at once.
    /// </summary>
    public string? Id { get; set; }

    /// <summary>How many batches this runner steps at once.</summary>
    [Range(1, 1000)]
    public int MaxConcurrentBatches { get; set; } = 8;

    /// <summary>How often the scheduler looks for due batches (it is also woken at once by starts and cancels).</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a runner owns a batch it steps without renewing (15 to 60 seconds, Blob Storage's lease range).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a finished batch stays queryable before its record is removed.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Watch the input container for new <c>*.jsonl</c> blobs.</summary>
    public bool WatchInput { get; set; } = true;

    /// <summary>How often the input container is listed.</summary>
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A blob modified more recently than this is taken to be still being written and is left for the next look.</summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Listen to the requests queue.</summary>
    public bool ListenToQueue { get; set; } = true;

    /// <summary>The queue of start requests (the JSON of <c>POST /api/batches</c>).</summary>
    public string RequestsQueue { get; set; } = "batch-requests";

    /// <summary>Where messages that cannot start a batch go, with the reason. Empty: the requests queue's name + <c>-poison</c>.</summary>
    public string? PoisonQueue { get; set; }

    /// <summary>Attempts at a message before it is moved to the poison queue (as <c>queues.maxDequeueCount</c> in host.json).</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>How long the queue listener waits when the queue was empty.</summary>
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a message stays invisible while it is handled; a failed attempt shows again after it.</summary>
    public TimeSpan QueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The HTTP API's addresses (semicolon separated).</summary>
    public string Urls { get; set; } = "http://127.0.0.1:7071";

    /// <summary>
    /// The key callers give as <c>x-functions-key</c> header or <c>code</c> query parameter, as with a Function App.
    /// Required whenever the runner listens beyond loopback; checked on every call once set.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>The largest <c>POST /api/batches</c> JSON body (inline requests); larger batches go as a blob or a JSONL upload.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxInlineBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>The largest JSONL body of <c>POST /api/batches</c> with <c>Content-Type: application/x-ndjson</c>.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>The poison queue's name.</summary>
    public string PoisonQueueName => string.IsNullOrEmpty(PoisonQueue) ? RequestsQueue + "-poison" : PoisonQueue;
}
