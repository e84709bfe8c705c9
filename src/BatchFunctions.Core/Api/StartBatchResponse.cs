using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Api;

/// <summary>The answer to <c>POST /api/batches</c>: 202 when the batch is new, 200 when it existed already.</summary>
/// <param name="Id">The batch's id.</param>
/// <param name="Started">Whether this request started it.</param>
/// <param name="StatusUrl">Where to follow it.</param>
/// <param name="CancelUrl">Where to cancel it (POST).</param>
/// <param name="Status">Its status now, when the host knows it at once.</param>
/// <param name="Retry">For a retry: which lines go again and which were left out, and why.</param>
public sealed record StartBatchResponse(string Id, bool Started, string StatusUrl, string CancelUrl, BatchStatus? Status, RetryPlan? Retry = null);
