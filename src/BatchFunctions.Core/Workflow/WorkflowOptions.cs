namespace BatchFunctions.Core.Workflow;

/// <summary>The workflow's timing and limits. Bound from the <c>Workflow</c> section.</summary>
public sealed class WorkflowOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Workflow";

    /// <summary>Parts uploaded, created or collected at once.</summary>
    public int MaxParallelParts { get; set; } = 4;

    /// <summary>The first poll after the jobs are created.</summary>
    public TimeSpan FirstPollDelay { get; set; } = TimeSpan.FromSeconds(10);

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

    /// <summary>The longest retry delay.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);
}
