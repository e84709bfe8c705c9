namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// One part to merge: its input (for the order of its custom_ids) or their hashes, and the output and error files Mistral
/// produced for it. An opener answers null when the file does not exist (no error file, a job that
/// failed before writing anything).
/// </summary>
/// <param name="OpenInput">Opens the part's input.</param>
/// <param name="OpenOutput">Opens the job's output file, or answers null.</param>
/// <param name="OpenErrors">Opens the job's error file, or answers null.</param>
/// <param name="Unanswered">The code and message written for the part's requests with no line at all (default <see cref="UnansweredReason.Missing"/>).</param>
/// <param name="OpenIdHashes">
/// Opens the hashes of the part's custom_ids in input order, as <see cref="JsonlPartPlanner"/> wrote them
/// while the input was validated: the merge then indexes them and reads the input only for requests left
/// unanswered. Null to index the input itself.
/// </param>
/// <param name="Requests">The part's request count when known (0 when not): the merge sizes its index once from it.</param>
public sealed record JsonlMergePart(
    Func<CancellationToken, Task<Stream>> OpenInput,
    Func<CancellationToken, Task<Stream?>> OpenOutput,
    Func<CancellationToken, Task<Stream?>> OpenErrors,
    UnansweredReason? Unanswered = null,
    Func<CancellationToken, Task<Stream>>? OpenIdHashes = null,
    long Requests = 0);
