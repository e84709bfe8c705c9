using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Runner;

/// <summary>What one turn of stepping a batch came to.</summary>
/// <param name="State">The batch's state afterwards; null when there is no such batch.</param>
/// <param name="WakeAt">When it next needs a step; null once finished.</param>
/// <param name="Busy">Another runner holds the batch: nothing was done.</param>
public sealed record StepResult(BatchState? State, DateTimeOffset? WakeAt, bool Busy);
