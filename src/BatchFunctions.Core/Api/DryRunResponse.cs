using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Pricing;

namespace BatchFunctions.Core.Api;

/// <summary>The answer to <c>POST /api/batches?dry_run=true</c> for a request that would start.</summary>
/// <param name="DryRun">Always true: nothing was stored or started.</param>
/// <param name="Message">What the dry run found, in a sentence.</param>
/// <param name="Requests">Requests in the input.</param>
/// <param name="Bytes">Bytes of the input.</param>
/// <param name="WarningCount">Warnings found (the first are listed).</param>
/// <param name="Warnings">The first warnings, in line order.</param>
/// <param name="Estimate">Tokens and cost at batch and live prices.</param>
public sealed record DryRunResponse(bool DryRun, string Message, long Requests, long Bytes, long WarningCount, IReadOnlyList<JsonlIssue> Warnings, CostEstimate Estimate);
