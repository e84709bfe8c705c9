using System.Text;
using System.Text.Json;
using BatchFunctions.Core.Pricing;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Api;

/// <summary>
/// Reads a <c>POST /api/batches</c> body for either host: a JSON start request, or a JSONL body with its
/// settings in the query, checked field by field, and the <c>Idempotency-Key</c> honoured (the same key and
/// request within the retention give the batch it started; the same key with another request is refused).
/// The body is fingerprinted in the pass that parses or stores it. Body size limits are the host's.
/// </summary>
public sealed class StartRequestReader(BatchSubmitter submitter, IdempotencyStore idempotency, IOptions<PricingOptions> pricing)
{
    /// <summary>What the request comes to.</summary>
    /// <param name="body">The request body.</param>
    /// <param name="contentType">Its content type.</param>
    /// <param name="query">A query parameter's values.</param>
    /// <param name="idempotencyKey">The <c>Idempotency-Key</c> header, if given.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    public async Task<StartDecision> ReadAsync(Stream body, string? contentType, Func<string, IReadOnlyList<string?>> query, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(query);
        if (IdempotencyStore.RefuseKey(idempotencyKey) is { } invalidKey)
        {
            return invalidKey;
        }

        if (!TryDryRun(query, out var dryRun))
        {
            return new StartRefused(400, "Invalid start request", "The query parameter 'dry_run' must be true or false.");
        }

        if (dryRun)
        {
            // Nothing is started, so there is nothing for an Idempotency-Key to remember.
            return await DryRunAsync(body, contentType, query, cancellationToken);
        }

        return await idempotency.HoldAsync(idempotencyKey, (previous, claim) => ReadHeldAsync(body, contentType, query, previous, claim, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Starts the batch of <paramref name="start"/> with <paramref name="startBatch"/> (the host's way: the id,
    /// or null when the input version may not run again, and whether it was new) and records it under the
    /// request's key, which is let go whatever happens; answers the batch the request stands for and whether
    /// this request started it (a twin request's batch when this one's claim was taken over).
    /// </summary>
    public static async Task<(string? InstanceId, bool Created)> StartAsync(StartSource start, Func<BatchSource, Task<(string? InstanceId, bool Created)>> startBatch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(startBatch);
        try
        {
            var (instanceId, created) = await startBatch(start.Source);
            if (instanceId is null || start.Claim is not { } claim)
            {
                return (instanceId, created);
            }

            var recorded = (await claim.CompleteAsync(start.RequestHash, instanceId, cancellationToken)).InstanceId!;
            return (recorded, created && recorded == instanceId);
        }
        finally
        {
            if (start.Claim is { } claim)
            {
                await claim.DisposeAsync();
            }
        }
    }

    private async Task<StartDecision> ReadHeldAsync(Stream body, string? contentType, Func<string, IReadOnlyList<string?>> query, IdempotencyRecord? previous, IdempotencyClaim? claim, CancellationToken cancellationToken)
    {
        using var hashing = new HashingStream(body);
        BatchSource? source = null;
        IReadOnlyList<string> errors = [];
        if (UploadQuery.IsJsonl(contentType))
        {
            if (UploadQuery.Parse(query) is not { } settings)
            {
                return new StartRefused(400, "Invalid start request", "The query parameter 'timeout_hours' must be a whole number and each 'metadata' a key=value pair.");
            }

            hashing.Append(Encoding.UTF8.GetBytes("jsonl?" + UploadQuery.Format(settings) + "\n"));
            if (previous is null)
            {
                var upload = await submitter.UploadAsync(hashing, settings, cancellationToken);
                if (upload.Conflict is { } conflict)
                {
                    return conflict;
                }

                if (upload.Report is { IsValid: false } report)
                {
                    // Nothing was stored: the caller fixes the file and sends it again.
                    return new StartRefused(
                        400,
                        "Invalid JSONL",
                        BatchProgress.DescribeRejection(report.ErrorCount, null, report.Errors.Count > 0 ? report.Errors[0] : null).TrimEnd('.') + ". Nothing was stored or started.",
                        upload.Errors);
                }

                (source, errors) = (upload.Source, upload.Errors);
            }
        }
        else
        {
            hashing.Append("json\n"u8);
            StartBatchRequest? request;
            try
            {
                request = await JsonSerializer.DeserializeAsync(hashing, BatchJsonContext.Readable.StartBatchRequest, cancellationToken);
            }
            catch (JsonException exception)
            {
                return new StartRefused(400, "Invalid JSON", $"The body must be a JSON start request ({{\"blob\": {{\"name\": ...}}}} or {{\"requests\": [...]}}), or JSONL with Content-Type application/x-ndjson; the JSON breaks at line {exception.LineNumber + 1}.");
            }

            if (previous is null)
            {
                var resolved = await submitter.ResolveAsync(request ?? new StartBatchRequest(), cancellationToken);
                if (resolved.Conflict is { } conflict)
                {
                    return conflict;
                }

                (source, errors) = resolved;
            }
        }

        var hash = await hashing.CompleteAsync(cancellationToken);
        if (previous is not null)
        {
            return IdempotencyStore.Replay(previous, hash);
        }

        return source is null
            ? new StartRefused(400, "Invalid start request", string.Join(" ", errors), errors)
            : new StartSource(source, claim, hash);
    }

    private static bool TryDryRun(Func<string, IReadOnlyList<string?>> query, out bool dryRun)
    {
        dryRun = false;
        var values = query("dry_run");
        if (values.Count == 0)
        {
            return true;
        }

        if (values.Count > 1)
        {
            return false;
        }

        switch (values[0]?.ToLowerInvariant())
        {
            case "true" or "1" or "":
                dryRun = true;
                return true;
            case "false" or "0":
                return true;
            default:
                return false;
        }
    }

    private async Task<StartDecision> DryRunAsync(Stream body, string? contentType, Func<string, IReadOnlyList<string?>> query, CancellationToken cancellationToken)
    {
        DryRunResult result;
        if (UploadQuery.IsJsonl(contentType))
        {
            if (UploadQuery.Parse(query) is not { } settings)
            {
                return new StartRefused(400, "Invalid start request", "The query parameter 'timeout_hours' must be a whole number and each 'metadata' a key=value pair.");
            }

            result = await submitter.DryRunUploadAsync(body, settings, cancellationToken);
        }
        else
        {
            StartBatchRequest? request;
            try
            {
                request = await JsonSerializer.DeserializeAsync(body, BatchJsonContext.Readable.StartBatchRequest, cancellationToken);
            }
            catch (JsonException exception)
            {
                return new StartRefused(400, "Invalid JSON", $"The body must be a JSON start request ({{\"blob\": {{\"name\": ...}}}} or {{\"requests\": [...]}}), or JSONL with Content-Type application/x-ndjson; the JSON breaks at line {exception.LineNumber + 1}.");
            }

            result = await submitter.DryRunAsync(request ?? new StartBatchRequest(), cancellationToken);
        }

        if (result.Report is not { IsValid: true } report)
        {
            // The answer the start itself would give.
            return result.Report is { } invalid
                ? new StartRefused(400, "Invalid JSONL", BatchProgress.DescribeRejection(invalid.ErrorCount, null, invalid.Errors.Count > 0 ? invalid.Errors[0] : null).TrimEnd('.') + ". Nothing was stored or started.", result.Errors)
                : new StartRefused(400, "Invalid start request", string.Join(" ", result.Errors), result.Errors);
        }

        var estimate = CostEstimator.Estimate(report, result.Model, pricing.Value);
        var message = estimate.BatchCost is { } cost
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Valid: {report.Requests} requests for {result.Model}, about {estimate.InputTokens} input tokens, {estimate.Currency} {cost.Low:0.########} to {cost.High:0.########} at batch prices. Nothing was stored or started.")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Valid: {report.Requests} requests for {result.Model}, about {estimate.InputTokens} input tokens; {estimate.Note} Nothing was stored or started.");
        return new StartDryRun(new DryRunResponse(true, message, report.Requests, report.Bytes, report.WarningCount, report.Warnings, estimate));
    }
}
