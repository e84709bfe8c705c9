namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// One part to merge: its input (for the order of its custom_ids) and the output and error files Mistral
/// produced for it. An opener answers null when the file does not exist (no error file, a job that
/// failed before writing anything).
/// </summary>
/// <param name="OpenInput">Opens the part's input.</param>
/// <param name="OpenOutput">Opens the job's output file, or answers null.</param>
/// <param name="OpenErrors">Opens the job's error file, or answers null.</param>
/// <param name="Unanswered">The code and message written for the part's requests with no line at all (default <see cref="UnansweredReason.Missing"/>).</param>
public sealed record JsonlMergePart(
    Func<CancellationToken, Task<Stream>> OpenInput,
    Func<CancellationToken, Task<Stream?>> OpenOutput,
    Func<CancellationToken, Task<Stream?>> OpenErrors,
    UnansweredReason? Unanswered = null);
