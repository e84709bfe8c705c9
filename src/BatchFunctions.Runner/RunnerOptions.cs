namespace BatchFunctions.Runner;

/// <summary>The self-hosted runner's settings. Bound from the <c>Runner</c> section.</summary>
public sealed class RunnerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Runner";

    /// <summary>The container holding one state record per batch.</summary>
    public string StateContainer { get; set; } = "batch-runner";
}
