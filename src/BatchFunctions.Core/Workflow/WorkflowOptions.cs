namespace BatchFunctions.Core.Workflow;

/// <summary>The workflow's timing and limits. Bound from the <c>Workflow</c> section.</summary>
public sealed class WorkflowOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Workflow";

    /// <summary>Parts uploaded, created or collected at once.</summary>
    public int MaxParallelParts { get; set; } = 4;

    /// <summary>The first wait between polls: the first poll comes as the jobs are created, and the waits double from this one up to <see cref="MinPollDelay"/>.</summary>
    public TimeSpan FirstPollDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The shortest wait between polls after the first.</summary>
    public TimeSpan MinPollDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest wait between polls.</summary>
    public TimeSpan MaxPollDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Time added to the jobs' timeout before the batch gives up on them.</summary>
    public TimeSpan DeadlineGrace { get; set; } = TimeSpan.FromHours(1);

    /// <summary>After giving up (deadline passed, cancel sent), how long to wait for Mistral to stop the jobs before finalizing anyway.</summary>
    public TimeSpan StopGrace { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Attempts of one step before a transient failure counts as permanent.</summary>
    public int MaxStepAttempts { get; set; } = 8;

    /// <summary>First retry delay of a failed step; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts the Durable engine makes at an activity that throws (a bug or a crash, not an expected failure) before the step counts as failed.</summary>
    public int ActivityAttempts { get; set; } = 3;

    /// <summary>The first wait between those attempts; it doubles, up to two minutes.</summary>
    public TimeSpan ActivityRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Steps a Durable orchestration takes before it continues as new, so that its history stays small.</summary>
    public int StepsPerGeneration { get; set; } = 40;

    /// <summary>A copy, to be kept in a batch's state: decisions already made must not change when the configuration does.</summary>
    public WorkflowOptions Snapshot() => (WorkflowOptions)MemberwiseClone();

    /// <summary>The longest retry delay.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);
}
