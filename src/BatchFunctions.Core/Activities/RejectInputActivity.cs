using System.Text.Json;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Activities;

/// <summary>Writes rejection.json beside the kept input (never deletes it) and announces the rejection.</summary>
public sealed class RejectInputActivity(BatchStorage storage, BatchCompletion completion, TimeProvider timeProvider) : IBatchActivity<RejectInputCall>
{
    /// <inheritdoc/>
    public async Task<ActivityResult> RunAsync(RejectInputCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var target = storage.Errors.GetBlobClient(BlobLayout.Rejection(call.Source.Name, call.InstanceId));

        // The report is small (the first errors and the counts): read it once, write it, and read it from memory.
        var report = (await storage.Staging.GetBlobClient(BlobLayout.ValidationReport(call.InstanceId)).DownloadContentAsync(cancellationToken)).Value.Content;
        await target.UploadAsync(report, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } }, cancellationToken);
        var rejection = JsonSerializer.Deserialize(report.ToMemory().Span, BatchJsonContext.Readable.RejectionReport);

        var outputs = new BatchOutputs(Rejection: target.Uri.ToString());
        var failure = rejection?.Describe();
        await completion.AnnounceAsync(
            new CompletionMessage(call.InstanceId, BatchOutcome.Rejected, call.Source.Container, call.Source.Name, rejection?.Validation?.Requests ?? 0, 0, 0, 0, null, null, null, outputs.Rejection, failure, Message: BatchProgress.Describe(BatchPhase.Completed, BatchOutcome.Rejected, 0, 0, 0, 0, failure, cancelRequested: false)),
            cancellationToken);
        return ActivityResult.Success(call, new FinishedPayload(outputs, CompletedAt: timeProvider.GetUtcNow()));
    }
}
