namespace BatchFunctions.MistralEmulator;

/// <summary>
/// A batch job and its processing cursor. Mutable, guarded by its own lock: the job advances lazily
/// whenever it is read, by the time elapsed on the emulator's clock.
/// </summary>
internal sealed class StoredJob
{
    public required string Id { get; init; }

    public required IReadOnlyList<string> InputFiles { get; init; }

    /// <summary>The content to process, in order: the input files' paths, or the inline requests' spill file.</summary>
    public required IReadOnlyList<string> InputPaths { get; init; }

    public required bool IsInline { get; init; }

    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    public required string Endpoint { get; init; }

    public string? Model { get; init; }

    public string? AgentId { get; init; }

    /// <summary>Its requests, known from its input at creation (<see cref="Total"/> is set only once it runs).</summary>
    public long Requests { get; init; }

    /// <summary>Its requests not yet processed while it counts against the workspace's pending limit.</summary>
    public long Pending => Status is "QUEUED" or "RUNNING" or "CANCELLATION_REQUESTED" ? Math.Max(0, Requests - Completed) : 0;

    /// <summary>Who created it: <see cref="Me"/> for the API's caller, another name for a job of another user of the workspace (made through the admin API).</summary>
    public string Owner { get; init; } = Me;

    /// <summary>The owner of the jobs the API's caller creates.</summary>
    public const string Me = "me";

    public required int TimeoutHours { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public JobOutcomeRule? ForcedOutcome { get; init; }

    public object Gate { get; } = new();

    public string Status { get; set; } = "QUEUED";

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public DateTimeOffset? CancelRequestedAt { get; set; }

    public int Total { get; set; }

    public int Succeeded { get; set; }

    public int Failed { get; set; }

    public int Completed => Succeeded + Failed;

    public string? OutputFile { get; set; }

    public string? ErrorFile { get; set; }

    public List<JobErrorDto> Errors { get; } = [];

    public int InputIndex { get; set; }

    public long LineNumber { get; set; }

    public ByteLineReader? Reader { get; set; }

    public required string OutputPath { get; init; }

    public required string ErrorPath { get; init; }

    public bool IsTerminal => Status is "SUCCESS" or "FAILED" or "TIMEOUT_EXCEEDED" or "CANCELLED";
}
