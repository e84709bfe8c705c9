using System.Globalization;
using System.Security.Cryptography;
using Azure.Storage;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Activities;

/// <summary>
/// Merges a finished job's output and error files, as they stream from Mistral, into the part's results and
/// failures in input order in staging, at once (results may be kept only 24 hours): each result byte is read
/// once, and finalizing only joins the parts. A call without its part (made by an earlier version) copies the
/// files as they come, for finalize to merge.
/// </summary>
public sealed class CollectPartActivity(MistralClient mistral, BatchStorage storage, BatchFiles files, MergeGate gate) : IBatchActivity<CollectPartCall>
{
    // Collects called by the earlier version copy files as they come, several parts at once (the download from
    // Mistral paces each): one block in flight per part keeps their buffers to one block each.
    private static readonly StorageTransferOptions CollectTransfer = new() { MaximumConcurrency = 1, InitialTransferSize = 1024 * 1024, MaximumTransferSize = 1024 * 1024 };

    private static readonly JsonlMergeOptions CollectMerge = new() { MaxLineBytes = Merging.MaxResultLineBytes, WriteUnanswered = false };

    /// <inheritdoc/>
    public async Task<ActivityResult> RunAsync(CollectPartCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);

        // The job as it is now: the ids the workflow holds may have been read before the job ended (a job
        // reused after a lost answer, say), and paid results must not be left behind for want of an id.
        JobSnapshot? job = call.JobId is null ? null : JobSnapshots.Of(await mistral.GetBatchJobAsync(call.JobId, cancellationToken: cancellationToken));
        var outputFileId = job?.OutputFileId ?? call.OutputFileId;
        var errorFileId = job?.ErrorFileId ?? call.ErrorFileId;
        if (job is not null && ((job.Succeeded > 0 && outputFileId is null) || (job.Failed > 0 && errorFileId is null)))
        {
            return ActivityResult.Retry(call, string.Create(CultureInfo.InvariantCulture, $"Job {job.JobId} reports {job.Succeeded} succeeded and {job.Failed} failed requests but has no output or error file yet."));
        }

        if (call.Part is not { } part)
        {
            var hasOutput = outputFileId is not null && await CopyFileAsync(outputFileId, BlobLayout.PartOutput(call.InstanceId, call.PartIndex), cancellationToken);
            var hasErrors = errorFileId is not null && await CopyFileAsync(errorFileId, BlobLayout.PartErrors(call.InstanceId, call.PartIndex), cancellationToken);
            return ActivityResult.Success(call, new CollectedPayload(hasOutput, hasErrors, job));
        }

        var merge = new JsonlMergePart(
            token => files.OpenPartInputAsync(part, null, call.InstanceId, token),
            async token => outputFileId is null ? null : await mistral.DownloadFileAsync(outputFileId, token),
            async token => errorFileId is null ? null : await mistral.DownloadFileAsync(errorFileId, token),
            OpenIdHashes: await files.HasIdHashesAsync(call.InstanceId, [part], cancellationToken) ? token => files.OpenIdHashesAsync(call.InstanceId, part.FirstRequest!.Value, part.Requests, token) : null,
            Requests: part.Requests);
        BatchUsage usage;
        using (await gate.EnterAsync(cancellationToken))
        {
            var resultsBlob = storage.Staging.GetBlockBlobClient(BlobLayout.PartResults(call.InstanceId, part.Index));
            var failuresBlob = storage.Staging.GetBlockBlobClient(BlobLayout.PartFailures(call.InstanceId, part.Index));
            await using var results = Merging.Writer(resultsBlob);
            await using var failures = Merging.Writer(failuresBlob);
            using var hashedResults = new HashingStream(results, HashAlgorithmName.MD5);
            using var hashedFailures = new HashingStream(failures, HashAlgorithmName.MD5);
            usage = await JsonlMerger.MergeAsync([merge], hashedResults, hashedFailures, CollectMerge, cancellationToken);

            // Committed only once the merge is whole, with the MD5 of what was written, for the service to check
            // when it joins the parts (and, on Azurite, to spare it a CRC64 of its own).
            await results.CommitAsync(new BlobHttpHeaders { ContentHash = hashedResults.GetHashAndReset() }, cancellationToken);
            await failures.CommitAsync(new BlobHttpHeaders { ContentHash = hashedFailures.GetHashAndReset() }, cancellationToken);
        }

        return ActivityResult.Success(call, new CollectedPayload(outputFileId is not null, errorFileId is not null, job, usage));
    }

    private async Task<bool> CopyFileAsync(string fileId, string blobName, CancellationToken cancellationToken)
    {
        await using var content = await mistral.DownloadFileAsync(fileId, cancellationToken);
        await storage.Staging.GetBlobClient(blobName).UploadAsync(content, new BlobUploadOptions { TransferOptions = CollectTransfer, TransferValidation = BlockChecksum.Md5 }, cancellationToken);
        return true;
    }
}
