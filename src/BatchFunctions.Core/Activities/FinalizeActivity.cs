using System.Globalization;
using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Pricing;
using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Activities;

/// <summary>
/// Ends a batch: joins (or, with unanswered requests, merges again) the parts' results in input order, writes
/// summary.json, archives the input, deletes the batch's uploads at Mistral and announces the end.
/// </summary>
public sealed class FinalizeActivity(
    MistralClient mistral,
    BatchStorage storage,
    BatchFiles files,
    BatchCompletion completion,
    RetryCombiner combiner,
    IOptions<BatchDefaultsOptions> defaults,
    IOptions<PricingOptions> pricing,
    TimeProvider timeProvider) : IBatchActivity<FinalizeCall>
{
    /// <inheritdoc/>
    public async Task<ActivityResult> RunAsync(FinalizeCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var state = call.State;
        var source = state.Source;
        var resultsBlob = storage.Output.GetBlockBlobClient(BlobLayout.Results(source.Name, call.InstanceId));
        var errorsBlob = storage.Errors.GetBlockBlobClient(BlobLayout.Errors(source.Name, call.InstanceId));
        var summaryBlob = storage.Output.GetBlobClient(BlobLayout.Summary(source.Name, call.InstanceId));

        BatchUsage? usage = null;
        if (state.Parts.Count > 0 && state.Parts.All(p => p.Merged is { Missing: 0 }))
        {
            // Every part was merged at collection and answered in full: the batch's files are its parts' joined.
            usage = BatchUsage.Sum(state.Parts.Select(p => p.Merged!));
            await files.JoinAsync(call.InstanceId, state.Parts, BlobLayout.PartResults, resultsBlob, cancellationToken);
            if (usage.Failed + usage.Unmatched > 0)
            {
                await files.JoinAsync(call.InstanceId, state.Parts, BlobLayout.PartFailures, errorsBlob, cancellationToken);
            }
        }
        else if (state.Parts.Count > 0)
        {
            // Some requests have no line: theirs go in their place in errors.jsonl, with a reason that depends on
            // how the batch ended, so the parts are merged again (from what collection merged, where it did).
            var hashed = await files.HasIdHashesAsync(call.InstanceId, state.Parts, cancellationToken);
            var parts = state.Parts.Select(part => new JsonlMergePart(
                token => files.OpenPartInputAsync(part, source, call.InstanceId, token),
                token => BatchFiles.OpenIfExistsAsync(storage.Staging.GetBlobClient(part.Merged is null ? BlobLayout.PartOutput(call.InstanceId, part.Index) : BlobLayout.PartResults(call.InstanceId, part.Index)), token),
                token => BatchFiles.OpenIfExistsAsync(storage.Staging.GetBlobClient(part.Merged is null ? BlobLayout.PartErrors(call.InstanceId, part.Index) : BlobLayout.PartFailures(call.InstanceId, part.Index)), token),
                UnansweredReason.For(part.JobStatus, call.Outcome),
                hashed && part.FirstRequest is { } first ? token => files.OpenIdHashesAsync(call.InstanceId, first, part.Requests, token) : null,
                part.Requests)).ToList();
            // Committed only once whole: a merge that fails halfway must not leave a results.jsonl for anyone to take.
            await using (var results = Merging.Writer(resultsBlob))
            await using (var errors = Merging.Writer(errorsBlob))
            {
                usage = await JsonlMerger.MergeAsync(parts, results, errors, new JsonlMergeOptions { MaxLineBytes = Merging.MaxResultLineBytes }, cancellationToken);
                await results.CommitAsync(null, cancellationToken);
                await errors.CommitAsync(null, cancellationToken);
            }

            // Duplicates were dropped when collection merged: only it counted them.
            usage = usage with { Duplicates = usage.Duplicates + state.Parts.Sum(p => p.Merged?.Duplicates ?? 0) };
        }

        // errors.jsonl stays when it has a line: a failure, an unanswered request, or a failed line whose
        // custom_id is no request's (counted as unmatched, not failed, and paid for all the same).
        var hasErrors = usage is not null
            && (usage.Failed + usage.Missing + usage.NotProcessed > 0
                || (usage.Unmatched > 0 && await BatchFiles.LengthIfExistsAsync(errorsBlob, cancellationToken) > 0));
        if (usage is not null && !hasErrors)
        {
            await errorsBlob.DeleteIfExistsAsync(cancellationToken: cancellationToken);
        }

        // Jobs that all ended well yet left lines unanswered: the batch did not succeed, whatever was decided.
        var outcome = call.Outcome;
        var failure = call.Failure;
        if (outcome == BatchOutcome.Succeeded && usage is { Missing: > 0 })
        {
            outcome = BatchOutcome.Failed;
            failure = string.Create(CultureInfo.InvariantCulture, $"{usage.Missing} of {usage.Requests} requests have no result although every Mistral job ended successfully; see errors.jsonl (missing_result).");
        }

        // A retry also answers for the whole original input: its parent's lines with the retried ones replaced.
        var combined = usage is not null && state.Settings is { ParentId: not null } settings
            ? await combiner.WriteAsync(call.InstanceId, source.Name, settings, usage, outcome, cancellationToken)
            : null;
        var outputs = new BatchOutputs(
            Results: usage is null ? null : resultsBlob.Uri.ToString(),
            Errors: hasErrors ? errorsBlob.Uri.ToString() : null,
            Summary: summaryBlob.Uri.ToString(),
            CombinedResults: combined?.Results,
            CombinedErrors: combined?.Errors,
            CombinedSummary: combined?.Summary);
        var completedAt = timeProvider.GetUtcNow();
        var cost = CostEstimator.CostOf(usage, pricing.Value);
        var requests = usage?.Requests ?? state.Requests;
        var succeeded = usage?.Succeeded ?? 0;
        var message = BatchProgress.Describe(
            BatchPhase.Completed, outcome, requests, succeeded + (usage?.Failed ?? 0), succeeded, usage?.Failed ?? 0, failure, cancelRequested: false);
        var summary = new BatchSummary(
            call.InstanceId,
            outcome,
            message,
            failure,
            source.Container,
            source.Name,
            state.Settings,
            usage,
            [.. state.Parts.Select(p => new PartSummary(p.Index, p.JobId, p.JobStatus, p.Total, p.Completed, p.Succeeded, p.Failed, p.JobErrors ?? []))],
            state.StartedAt,
            completedAt,
            outputs,
            cost,
            state.Settings?.ParentId);
        await BatchFiles.WriteJsonAsync(summaryBlob, summary, BatchJsonContext.Readable.BatchSummary, cancellationToken);

        await files.ArchiveInputAsync(source, call.InstanceId, outcome, cancellationToken);
        await DeleteUploadedFilesAsync(state, cancellationToken);
        await completion.AnnounceAsync(
            new CompletionMessage(call.InstanceId, outcome, source.Container, source.Name, requests, succeeded, usage?.Failed ?? 0, usage?.Missing ?? 0, outputs.Results, outputs.Errors, outputs.Summary, null, failure, usage?.NotProcessed ?? 0, message, cost, state.Settings?.ParentId, outputs),
            cancellationToken);
        return ActivityResult.Success(call, new FinishedPayload(outputs, outcome == call.Outcome ? null : outcome, outcome == call.Outcome ? null : failure, completedAt, cost));
    }

    private async Task DeleteUploadedFilesAsync(BatchState state, CancellationToken cancellationToken)
    {
        if (!defaults.Value.DeleteUploadedFiles)
        {
            return;
        }

        // Every file of ours, not only the recorded ones: an upload whose answer was lost and was then
        // retried leaves a second file under the same deterministic name.
        var ours = new HashSet<string>(state.Parts.Select(p => p.FileId).OfType<string>(), StringComparer.Ordinal);
        var prefix = BlobLayout.UploadPrefix(state.InstanceId);
        await foreach (var file in mistral.GetAllFilesAsync(new FileListQuery { Search = prefix, Purpose = FilePurpose.Batch }, cancellationToken))
        {
            if (file.Filename.StartsWith(prefix, StringComparison.Ordinal))
            {
                ours.Add(file.Id);
            }
        }

        foreach (var fileId in ours)
        {
            try
            {
                await mistral.DeleteFileAsync(fileId, cancellationToken);
            }
            catch (MistralApiException exception) when (exception.Status == 404)
            {
                // Deleted by an earlier attempt.
            }
        }
    }
}
