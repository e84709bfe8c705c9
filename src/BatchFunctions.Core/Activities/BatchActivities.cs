using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Pricing;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Activities;

/// <summary>
/// The workflow's activities, host-agnostic and idempotent: every engine runs activities at least once, so
/// each one can run again after a crash and leave the same result (deterministic names, overwrites, and a
/// lookup of the job by its metadata before creating one). Expected failures come back as data.
/// </summary>
public sealed class BatchActivities(
    MistralClient mistral,
    BatchStorage storage,
    IOptions<BatchDefaultsOptions> defaults,
    TimeProvider timeProvider,
    CompletionNotifier notifier,
    IOptions<PricingOptions> pricing,
    RetryCombiner combiner,
    ILogger<BatchActivities> logger)
{
    private static readonly StorageTransferOptions Transfer = new() { MaximumConcurrency = 2, InitialTransferSize = 4 * 1024 * 1024, MaximumTransferSize = 4 * 1024 * 1024 };

    // Collects called by the earlier version copy files as they come, several parts at once (the download from
    // Mistral paces each): one block in flight per part keeps their buffers to one block each.
    private static readonly StorageTransferOptions CollectTransfer = new() { MaximumConcurrency = 1, InitialTransferSize = 1024 * 1024, MaximumTransferSize = 1024 * 1024 };

    // Blobs written line by line hold one block in memory until it is staged (see BlockChecksum.LineByLine).
    private static readonly BlockBlobOpenWriteOptions SmallBlocks = BlockChecksum.LineByLine();

    // A merge's output goes to staging in blocks of 2 MiB, three on their way at once: one at a time, each waited on
    // its round trip, and writing a 50 MB part took 1.7 to 2.4 s on Azurite (1.05 to 1.3 s this way). At most 8 MiB a writer.
    private const int MergeBlockBytes = 2 * 1024 * 1024;
    private const int MergeBlocksInFlight = 3;

    /// <summary>A merge's output writer: committed only once the merge is whole.</summary>
    private static BlockBlobWriter MergeWriter(BlockBlobClient blob) => new(blob, MergeBlockBytes, MergeBlocksInFlight);

    // The longest result line a merge reads (completions can be long); a longer one is reported as failed.
    private const int MaxResultLineBytes = 64 * 1024 * 1024;

    private static readonly JsonlMergeOptions CollectMerge = new() { MaxLineBytes = MaxResultLineBytes, WriteUnanswered = false };

    private static readonly SemaphoreSlim MergeGate = new(1, 1);

    // Status reads are small; a few at once keeps a batch of many parts from opening a connection per part.
    private const int MaxParallelPolls = 8;

    // A block staged from a URL may be up to 4000 MiB; 256 MiB keeps a part of a few hundred MB to one or two.
    private const long JoinBlockBytes = 256L * 1024 * 1024;

    private readonly BatchDefaultsOptions _defaults = defaults.Value;

    /// <summary>Runs any activity call; unexpected exceptions (bugs) propagate.</summary>
    public async Task<ActivityResult> ExecuteAsync(ActivityCall call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            var result = call switch
            {
                ValidateInputCall validate => await ValidateInputAsync(validate, cancellationToken),
                RejectInputCall reject => await RejectInputAsync(reject, cancellationToken),
                StagePartsCall stage => await StagePartsAsync(stage, cancellationToken),
                UploadPartCall upload => await UploadPartAsync(upload, cancellationToken),
                CreateJobCall create => await CreateJobAsync(create, cancellationToken),
                PollJobsCall poll => await PollJobsAsync(poll, cancellationToken),
                CancelJobsCall cancel => await CancelJobsAsync(cancel, cancellationToken),
                CollectPartCall collect => await CollectPartAsync(collect, cancellationToken),
                FinalizeCall finalize => await FinalizeAsync(finalize, cancellationToken),
                _ => throw new ArgumentException($"Unknown activity {call.GetType().Name}.", nameof(call)),
            };
            ActivityLog.Completed(logger, call.Name, call.InstanceId, result.Status.ToString());
            return result;
        }
        catch (Exception exception) when (Classify(call, exception) is { } expected)
        {
            ActivityLog.Failed(logger, call.Name, call.InstanceId, expected.Status.ToString(), exception.GetType().Name);
            return expected;
        }
    }

    /// <summary>
    /// Checks the input and its settings and, in the same pass, cuts a valid one into parts (byte ranges of
    /// the input, uploaded from there) and writes its custom_ids' hashes for the merge. An invalid input
    /// leaves its report in staging for the rejection, and nothing else.
    /// </summary>
    public async Task<ActivityResult> ValidateInputAsync(ValidateInputCall call, CancellationToken cancellationToken)
    {
        var blob = storage.Blobs.GetBlobContainerClient(call.Source.Container).GetBlobClient(call.Source.Name);
        var conditions = new BlobRequestConditions { IfMatch = new ETag(call.Source.ETag) };
        var properties = await blob.GetPropertiesAsync(conditions, cancellationToken);
        var (settings, settingsErrors) = BatchSettingsResolver.Resolve(properties.Value.Metadata, _defaults);
        var validation = BatchSettingsResolver.ValidationOptions(settings, _defaults) with { ExpectedBytes = properties.Value.ContentLength };
        var hashesBlob = storage.Staging.GetBlockBlobClient(BlobLayout.IdHashes(call.InstanceId));

        JsonlValidationReport report;
        IReadOnlyList<JsonlPart>? parts = null;
        await using (var input = await OpenStreamingAsync(blob, call.Source.ETag, default, cancellationToken))
        {
            if (settingsErrors.Count > 0)
            {
                // Refused whatever its lines say: they are checked for the report, and nothing is planned.
                report = await JsonlValidator.ValidateAsync(input, validation, cancellationToken);
            }
            else
            {
                await using var hashes = await hashesBlob.OpenWriteAsync(overwrite: true, SmallBlocks, cancellationToken);
                var planner = new JsonlPartPlanner(SplitOptions(), hashes);
                report = await JsonlValidator.ValidateAsync(input, validation, planner, cancellationToken);
                parts = await planner.CompleteAsync(cancellationToken);
            }
        }

        var valid = report.IsValid && settingsErrors.Count == 0;
        if (valid)
        {
            var staged = parts!.Select(p => new StagedPart(p.Index, call.Source.Container, call.Source.Name, p.Requests, p.Bytes, p.Offset, p.FirstRequest)).ToList();
            return ActivityResult.Success(call, new ValidatedPayload(true, report.Requests, report.Bytes, 0, null, settings, staged));
        }

        if (parts is not null)
        {
            await hashesBlob.DeleteIfExistsAsync(cancellationToken: cancellationToken);
        }

        var rejection = new RejectionReport(call.InstanceId, call.Source.Container, call.Source.Name, call.Source.ETag, settingsErrors, report);
        await WriteJsonAsync(storage.Staging.GetBlobClient(BlobLayout.ValidationReport(call.InstanceId)), rejection, BatchJsonContext.Readable.RejectionReport, cancellationToken);
        return ActivityResult.Success(call, new ValidatedPayload(false, report.Requests, report.Bytes, report.ErrorCount + settingsErrors.Count, rejection.Describe(), null));
    }

    /// <summary>Writes rejection.json beside the kept input (never deletes it) and announces the rejection.</summary>
    public async Task<ActivityResult> RejectInputAsync(RejectInputCall call, CancellationToken cancellationToken)
    {
        var target = storage.Errors.GetBlobClient(BlobLayout.Rejection(call.Source.Name, call.InstanceId));

        // The report is small (the first errors and the counts): read it once, write it, and read it from memory.
        var report = (await storage.Staging.GetBlobClient(BlobLayout.ValidationReport(call.InstanceId)).DownloadContentAsync(cancellationToken)).Value.Content;
        await target.UploadAsync(report, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } }, cancellationToken);
        var rejection = JsonSerializer.Deserialize(report.ToMemory().Span, BatchJsonContext.Readable.RejectionReport);

        var outputs = new BatchOutputs(Rejection: target.Uri.ToString());
        var failure = rejection?.Describe();
        await SendCompletionAsync(
            new CompletionMessage(call.InstanceId, BatchOutcome.Rejected, call.Source.Container, call.Source.Name, rejection?.Validation?.Requests ?? 0, 0, 0, 0, null, null, null, outputs.Rejection, failure, Message: BatchProgress.Describe(BatchPhase.Completed, BatchOutcome.Rejected, 0, 0, 0, 0, failure, cancelRequested: false)),
            cancellationToken);
        return ActivityResult.Success(call, new FinishedPayload(outputs, CompletedAt: timeProvider.GetUtcNow()));
    }

    /// <summary>
    /// Splits the input into staged parts, or uses it whole when it fits one job: for batches whose
    /// validation was recorded before validation planned the parts itself (a Durable history replayed by a
    /// newer version, a runner state saved by an older one).
    /// </summary>
    public async Task<ActivityResult> StagePartsAsync(StagePartsCall call, CancellationToken cancellationToken)
    {
        var split = SplitOptions();
        if (JsonlSplitter.FitsInOnePart(call.Requests, call.Bytes, split))
        {
            return ActivityResult.Success(call, new StagedPayload([new StagedPart(0, call.Source.Container, call.Source.Name, call.Requests, call.Bytes)]));
        }

        var blob = storage.Blobs.GetBlobContainerClient(call.Source.Container).GetBlobClient(call.Source.Name);
        IReadOnlyList<JsonlPart> parts;
        await using (var input = await OpenStreamingAsync(blob, call.Source.ETag, default, cancellationToken))
        {
            parts = await JsonlSplitter.SplitAsync(
                input,
                async (index, token) => await storage.Staging.GetBlockBlobClient(BlobLayout.Part(call.InstanceId, index)).OpenWriteAsync(overwrite: true, cancellationToken: token),
                split,
                cancellationToken);
        }

        return ActivityResult.Success(call, new StagedPayload([.. parts.Select(p => new StagedPart(p.Index, storage.Options.StagingContainer, BlobLayout.Part(call.InstanceId, p.Index), p.Requests, p.Bytes))]));
    }

    /// <summary>Uploads a part (a blob or a range of one) under a deterministic name, reusing a file a previous attempt already uploaded.</summary>
    public async Task<ActivityResult> UploadPartAsync(UploadPartCall call, CancellationToken cancellationToken)
    {
        var name = BlobLayout.UploadName(call.InstanceId, call.PartIndex);
        var blob = storage.Blobs.GetBlobContainerClient(call.Container).GetBlobClient(call.BlobName);
        var (length, version) = call.Length is { } range && call.ETag is { } etag
            ? (range, new ETag(etag))
            : await WholeBlobAsync(blob, cancellationToken);
        await foreach (var existing in mistral.GetAllFilesAsync(new FileListQuery { Search = name, Purpose = FilePurpose.Batch }, cancellationToken))
        {
            if (existing.Filename == name && (existing.Bytes is null || existing.Bytes == length))
            {
                return ActivityResult.Success(call, new UploadedPayload(existing.Id));
            }
        }

        // Exactly the part's bytes of the version validated, seekable so that the HTTP pipeline may resend it.
        await using var content = new BlobRangeStream(blob, call.Offset ?? 0, length, version);
        var file = await mistral.UploadFileAsync(content, name, new UploadFileOptions { Purpose = FilePurpose.Batch }, cancellationToken);
        return ActivityResult.Success(call, new UploadedPayload(file.Id));
    }

    private static async Task<(long Length, ETag Version)> WholeBlobAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        return (properties.ContentLength, properties.ETag);
    }

    /// <summary>Finds the part's job by its metadata, or creates it: a retry never pays twice.</summary>
    public async Task<ActivityResult> CreateJobAsync(CreateJobCall call, CancellationToken cancellationToken)
    {
        var part = call.PartIndex.ToString(CultureInfo.InvariantCulture);
        var tags = new Dictionary<string, string> { [BatchSettingsResolver.InstanceKey] = call.InstanceId, [BatchSettingsResolver.PartKey] = part };
        var found = await mistral.ListBatchJobsAsync(new BatchJobListQuery { Metadata = tags, OldestFirst = true, PageSize = 10 }, cancellationToken);
        if (found.Data.Count > 0 && found.Data[0] is { } existing)
        {
            ActivityLog.JobReused(logger, existing.Id, call.InstanceId, call.PartIndex);
            return ActivityResult.Success(call, new JobCreatedPayload(existing.Id, existing.Status.Value, Snapshot(existing)));
        }

        var metadata = new Dictionary<string, string>(call.Settings.Metadata, StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            metadata[key] = value;
        }

        var job = await mistral.CreateBatchJobAsync(
            new CreateBatchJobRequest
            {
                Endpoint = ApiEndpoint.FromValue(call.Settings.Endpoint),
                InputFiles = [call.FileId],
                Model = call.Settings.Model,
                Metadata = metadata,
                TimeoutHours = call.Settings.TimeoutHours,
            },
            cancellationToken);
        return ActivityResult.Success(call, new JobCreatedPayload(job.Id, job.Status.Value, Snapshot(job)));
    }

    /// <summary>Refreshes every unfinished job, a few at a time: one poll of ten parts costs one round trip, not ten.</summary>
    public async Task<ActivityResult> PollJobsAsync(PollJobsCall call, CancellationToken cancellationToken)
    {
        var jobs = new JobSnapshot[call.JobIds.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, jobs.Length),
            new ParallelOptions { MaxDegreeOfParallelism = MaxParallelPolls, CancellationToken = cancellationToken },
            async (index, token) => jobs[index] = Snapshot(await mistral.GetBatchJobAsync(call.JobIds[index], cancellationToken: token)));
        return ActivityResult.Success(call, new JobsPayload(jobs));
    }

    /// <summary>Asks Mistral to cancel jobs; a job that already ended is simply reported as it is.</summary>
    public async Task<ActivityResult> CancelJobsAsync(CancelJobsCall call, CancellationToken cancellationToken)
    {
        var jobs = new List<JobSnapshot>();
        foreach (var id in call.JobIds)
        {
            BatchJob job;
            try
            {
                job = await mistral.CancelBatchJobAsync(id, cancellationToken);
            }
            catch (MistralApiException exception) when (!exception.IsTransient)
            {
                job = await mistral.GetBatchJobAsync(id, cancellationToken: cancellationToken);
            }

            jobs.Add(Snapshot(job));
        }

        return ActivityResult.Success(call, new JobsPayload(jobs));
    }

    /// <summary>
    /// Merges a finished job's output and error files, as they stream from Mistral, into the part's results and
    /// failures in input order in staging, at once (results may be kept only 24 hours): each result byte is
    /// read once, and finalizing only joins the parts. A call without its part (made by an earlier version)
    /// copies the files as they come, for finalize to merge.
    /// </summary>
    public async Task<ActivityResult> CollectPartAsync(CollectPartCall call, CancellationToken cancellationToken)
    {
        // The job as it is now: the ids the workflow holds may have been read before the job ended (a job
        // reused after a lost answer, say), and paid results must not be left behind for want of an id.
        JobSnapshot? job = call.JobId is null ? null : Snapshot(await mistral.GetBatchJobAsync(call.JobId, cancellationToken: cancellationToken));
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
            token => OpenPartInputAsync(part, null, call.InstanceId, token),
            async token => outputFileId is null ? null : await mistral.DownloadFileAsync(outputFileId, token),
            async token => errorFileId is null ? null : await mistral.DownloadFileAsync(errorFileId, token),
            OpenIdHashes: await HasIdHashesAsync(call.InstanceId, [part], cancellationToken) ? token => OpenIdHashesAsync(call.InstanceId, part.FirstRequest!.Value, part.Requests, token) : null,
            Requests: part.Requests);
        BatchUsage usage;

        // One merge at a time in a process: its sort buffers and index are the largest memory a batch takes,
        // and parallel collects would hold one set each.
        await MergeGate.WaitAsync(cancellationToken);
        try
        {
            var resultsBlob = storage.Staging.GetBlockBlobClient(BlobLayout.PartResults(call.InstanceId, part.Index));
            var failuresBlob = storage.Staging.GetBlockBlobClient(BlobLayout.PartFailures(call.InstanceId, part.Index));
            await using var results = MergeWriter(resultsBlob);
            await using var failures = MergeWriter(failuresBlob);
            using var hashedResults = new HashingStream(results, HashAlgorithmName.MD5);
            using var hashedFailures = new HashingStream(failures, HashAlgorithmName.MD5);
            usage = await JsonlMerger.MergeAsync([merge], hashedResults, hashedFailures, CollectMerge, cancellationToken);

            // Committed only once the merge is whole, with the MD5 of what was written, for the service to check
            // when it joins the parts (and, on Azurite, to spare it a CRC64 of its own).
            await results.CommitAsync(new BlobHttpHeaders { ContentHash = hashedResults.GetHashAndReset() }, cancellationToken);
            await failures.CommitAsync(new BlobHttpHeaders { ContentHash = hashedFailures.GetHashAndReset() }, cancellationToken);
        }
        finally
        {
            MergeGate.Release();
        }

        return ActivityResult.Success(call, new CollectedPayload(outputFileId is not null, errorFileId is not null, job, usage));
    }

    /// <summary>Merges the results in input order, writes summary.json, archives the input, cleans up at Mistral and announces the end.</summary>
    public async Task<ActivityResult> FinalizeAsync(FinalizeCall call, CancellationToken cancellationToken)
    {
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
            await JoinAsync(call.InstanceId, state.Parts, BlobLayout.PartResults, resultsBlob, cancellationToken);
            if (usage.Failed + usage.Unmatched > 0)
            {
                await JoinAsync(call.InstanceId, state.Parts, BlobLayout.PartFailures, errorsBlob, cancellationToken);
            }
        }
        else if (state.Parts.Count > 0)
        {
            // Some requests have no line: theirs go in their place in errors.jsonl, with a reason that depends on
            // how the batch ended, so the parts are merged again (from what collection merged, where it did).
            var hashed = await HasIdHashesAsync(call.InstanceId, state.Parts, cancellationToken);
            var parts = state.Parts.Select(part => new JsonlMergePart(
                token => OpenPartInputAsync(part, source, call.InstanceId, token),
                token => OpenIfExistsAsync(storage.Staging.GetBlobClient(part.Merged is null ? BlobLayout.PartOutput(call.InstanceId, part.Index) : BlobLayout.PartResults(call.InstanceId, part.Index)), token),
                token => OpenIfExistsAsync(storage.Staging.GetBlobClient(part.Merged is null ? BlobLayout.PartErrors(call.InstanceId, part.Index) : BlobLayout.PartFailures(call.InstanceId, part.Index)), token),
                UnansweredReason.For(part.JobStatus, call.Outcome),
                hashed && part.FirstRequest is { } first ? token => OpenIdHashesAsync(call.InstanceId, first, part.Requests, token) : null,
                part.Requests)).ToList();
            // Committed only once whole: a merge that fails halfway must not leave a results.jsonl for anyone to take.
            await using (var results = MergeWriter(resultsBlob))
            await using (var errors = MergeWriter(errorsBlob))
            {
                usage = await JsonlMerger.MergeAsync(parts, results, errors, new JsonlMergeOptions { MaxLineBytes = MaxResultLineBytes }, cancellationToken);
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
                || (usage.Unmatched > 0 && await LengthIfExistsAsync(errorsBlob, cancellationToken) > 0));
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
        await WriteJsonAsync(summaryBlob, summary, BatchJsonContext.Readable.BatchSummary, cancellationToken);

        await ArchiveInputAsync(source, call.InstanceId, outcome, cancellationToken);
        await DeleteUploadedFilesAsync(state, cancellationToken);
        await SendCompletionAsync(
            new CompletionMessage(call.InstanceId, outcome, source.Container, source.Name, requests, succeeded, usage?.Failed ?? 0, usage?.Missing ?? 0, outputs.Results, outputs.Errors, outputs.Summary, null, failure, usage?.NotProcessed ?? 0, message, cost, state.Settings?.ParentId, outputs),
            cancellationToken);
        return ActivityResult.Success(call, new FinishedPayload(outputs, outcome == call.Outcome ? null : outcome, outcome == call.Outcome ? null : failure, completedAt, cost));
    }

    /// <summary>
    /// A blob's content as one streamed download (resumed from where it broke, on the same version, should the
    /// connection drop): no 4 MiB read-ahead buffer per stream, so reading many blobs in turn leaves no large
    /// garbage behind, and one request per blob instead of one per 4 MiB.
    /// </summary>
    private static async Task<Stream> OpenStreamingAsync(BlobClient blob, string? etag, HttpRange range, CancellationToken cancellationToken)
    {
        if (range.Length == 0)
        {
            return new MemoryStream([], writable: false);
        }

        var options = new BlobDownloadOptions { Range = range, Conditions = etag is null ? null : new BlobRequestConditions { IfMatch = new ETag(etag) } };
        return (await blob.DownloadStreamingAsync(options, cancellationToken)).Value.Content;
    }

    /// <summary>The part's custom_id hashes: its slice of the hashes its batch's validation wrote.</summary>
    private Task<Stream> OpenIdHashesAsync(string instanceId, long firstRequest, long requests, CancellationToken cancellationToken) =>
        OpenStreamingAsync(storage.Staging.GetBlobClient(BlobLayout.IdHashes(instanceId)), null, new HttpRange(firstRequest * sizeof(ulong), requests * sizeof(ulong)), cancellationToken);

    private JsonlSplitOptions SplitOptions() => new() { MaxRequestsPerPart = _defaults.MaxRequestsPerPart, MaxBytesPerPart = _defaults.MaxBytesPerPart, MaxLineBytes = _defaults.MaxLineBytes };

    /// <summary>Whether validation's custom_id hashes can index these parts (hashes swept away with a batch older than the staging retention leave the input to index: slower, never lost).</summary>
    private async Task<bool> HasIdHashesAsync(string instanceId, IReadOnlyList<PartState> parts, CancellationToken cancellationToken) =>
        parts.Any(p => p.FirstRequest is not null)
        && (await storage.Staging.GetBlobClient(BlobLayout.IdHashes(instanceId)).ExistsAsync(cancellationToken)).Value;

    /// <summary>
    /// Writes the parts' merged files, in part order, as <paramref name="target"/>, inside the storage service
    /// where it can (one part is copied; several become the blocks of the target, staged from their URLs);
    /// otherwise streamed through this process in turn (the lines are in order already).
    /// </summary>
    private async Task JoinAsync(string instanceId, IReadOnlyList<PartState> parts, Func<string, int, string> name, BlockBlobClient target, CancellationToken cancellationToken)
    {
        var sources = parts.Select(p => storage.Staging.GetBlobClient(name(instanceId, p.Index))).ToList();
        if (sources.Count == 1)
        {
            await CopyAsync(sources[0], null, storage.Blobs.GetBlobContainerClient(target.BlobContainerName).GetBlobClient(target.Name), cancellationToken);
            return;
        }

        if (sources.All(s => s.CanGenerateSasUri))
        {
            try
            {
                await StageBlocksFromAsync(sources, target, cancellationToken);
                return;
            }
            catch (RequestFailedException exception) when (exception.Status is 400 or 401 or 403)
            {
                // The service would not read the sources on our behalf, or found a part other than its MD5 says
                // (rewritten by a second run of its collect after the hash was set): stream them instead.
                ActivityLog.JoinedThroughProcess(logger, instanceId, exception.Status, exception.ErrorCode);

                // Committing no block drops the blocks staged so far: the writer's own block ids differ in length,
                // which the service refuses within one blob.
                await target.CommitBlockListAsync([], cancellationToken: cancellationToken);
            }
        }

        await using var output = await target.OpenWriteAsync(overwrite: true, SmallBlocks, cancellationToken);
        foreach (var source in sources)
        {
            await using var content = await OpenStreamingAsync(source, null, default, cancellationToken);
            await content.CopyToAsync(output, cancellationToken);
        }
    }

    /// <summary>
    /// Makes <paramref name="target"/> the concatenation of <paramref name="sources"/> with Put Block From URL:
    /// blocks of up to <see cref="JoinBlockBytes"/> read by the service through a short read-only SAS of each
    /// source, committed in order. Deterministic block ids make a second run stage the same blocks again.
    /// </summary>
    private static async Task StageBlocksFromAsync(List<BlobClient> sources, BlockBlobClient target, CancellationToken cancellationToken)
    {
        var blocks = new List<string>();
        for (var index = 0; index < sources.Count; index++)
        {
            var source = sources[index];
            var properties = (await source.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            var length = properties.ContentLength;
            var sas = source.GenerateSasUri(Azure.Storage.Sas.BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1));
            for (long offset = 0, chunk = 0; offset < length; offset += JoinBlockBytes, chunk++)
            {
                var id = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"part-{index:D5}-{chunk:D6}")));
                var whole = length <= JoinBlockBytes && properties.ContentHash is { Length: > 0 };
                await target.StageBlockFromUriAsync(
                    sas,
                    id,
                    new StageBlockFromUriOptions { SourceRange = new HttpRange(offset, Math.Min(JoinBlockBytes, length - offset)), SourceContentHash = whole ? properties.ContentHash : null },
                    cancellationToken);
                blocks.Add(id);
            }
        }

        await target.CommitBlockListAsync(blocks, cancellationToken: cancellationToken);
    }

    private async Task<Stream> OpenPartInputAsync(PartState part, BatchSource? source, string instanceId, CancellationToken cancellationToken)
    {
        var blob = storage.Blobs.GetBlobContainerClient(part.Container).GetBlobClient(part.BlobName);
        if (source is not null && part.Container == source.Container && part.BlobName == source.Name && !await blob.ExistsAsync(cancellationToken))
        {
            // A finalize that crashed after archiving runs again: the input is in the archive now.
            blob = storage.Archive.GetBlobClient(BlobLayout.Archived(source.Name, instanceId));
        }

        return await OpenStreamingAsync(blob, null, part.Offset is { } offset ? new HttpRange(offset, part.Bytes) : default, cancellationToken);
    }

    /// <summary>The blob's length, in one request; 0 when it does not exist.</summary>
    private static async Task<long> LengthIfExistsAsync(BlockBlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ContentLength;
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return 0;
        }
    }

    private static async Task<Stream?> OpenIfExistsAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return await OpenStreamingAsync(blob, null, default, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    private async Task<bool> CopyFileAsync(string fileId, string blobName, CancellationToken cancellationToken)
    {
        await using var content = await mistral.DownloadFileAsync(fileId, cancellationToken);
        await storage.Staging.GetBlobClient(blobName).UploadAsync(content, new BlobUploadOptions { TransferOptions = CollectTransfer, TransferValidation = BlockChecksum.Md5 }, cancellationToken);
        return true;
    }

    private async Task ArchiveInputAsync(BatchSource source, string instanceId, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        var mode = storage.Options.ArchiveMode;
        if (mode == ArchiveMode.Keep)
        {
            return;
        }

        var input = storage.Blobs.GetBlobContainerClient(source.Container).GetBlobClient(source.Name);
        var sameVersion = new BlobRequestConditions { IfMatch = new ETag(source.ETag) };
        if (mode == ArchiveMode.Archive || outcome != BatchOutcome.Succeeded)
        {
            var archived = storage.Archive.GetBlobClient(BlobLayout.Archived(source.Name, instanceId));
            try
            {
                await CopyAsync(input, source.ETag, archived, cancellationToken);
            }
            catch (RequestFailedException exception) when (exception.Status is 404 or 412)
            {
                // Already archived by an earlier attempt, or replaced by a newer upload that is not ours to move.
                return;
            }
        }

        try
        {
            // Only this version: a newer upload under the same name is pending work and stays.
            await input.DeleteAsync(conditions: sameVersion, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 412)
        {
            ActivityLog.InputNotDeleted(logger, instanceId, exception.Status);
        }
    }

    /// <summary>
    /// Copies this version of <paramref name="input"/> (any version when <paramref name="etag"/> is null) to
    /// <paramref name="target"/> inside the storage service (no byte crosses the network to us); where the
    /// service refuses to authorize that copy, through this process as a stream.
    /// </summary>
    private static async Task CopyAsync(BlobClient input, string? etag, BlobClient target, CancellationToken cancellationToken)
    {
        try
        {
            var copy = await target.StartCopyFromUriAsync(
                input.Uri,
                new BlobCopyFromUriOptions { SourceConditions = etag is null ? null : new BlobRequestConditions { IfMatch = new ETag(etag) } },
                cancellationToken);
            await copy.WaitForCompletionAsync(cancellationToken);
            return;
        }
        catch (RequestFailedException exception) when (exception.Status is 401 or 403)
        {
            // An identity that may read but not authorize a service-side copy of the source.
        }

        await using var content = await OpenStreamingAsync(input, etag, default, cancellationToken);
        await target.UploadAsync(content, new BlobUploadOptions { TransferOptions = Transfer, TransferValidation = BlockChecksum.Md5 }, cancellationToken);
    }

    private async Task DeleteUploadedFilesAsync(BatchState state, CancellationToken cancellationToken)
    {
        if (!_defaults.DeleteUploadedFiles)
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

    private async Task SendCompletionAsync(CompletionMessage message, CancellationToken cancellationToken)
    {
        await storage.Completed.SendMessageAsync(JsonSerializer.Serialize(message, BatchJsonContext.Readable.CompletionMessage), cancellationToken);
        await notifier.NotifyAsync(message, cancellationToken);
    }

    private static async Task WriteJsonAsync<T>(BlobClient blob, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken) =>
        await blob.UploadAsync(
            BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo)),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } },
            cancellationToken);

    private static JobSnapshot Snapshot(BatchJob job) => new(
        job.Id,
        job.Status.Value,
        job.TotalRequests,
        job.CompletedRequests,
        job.SucceededRequests,
        job.FailedRequests,
        job.OutputFile,
        job.ErrorFile,
        [.. job.Errors.Select(e => e.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $"{e.Message} (x{e.Count})") : e.Message)],
        job.StartedAt);

    /// <summary>Expected failures as data; null for a bug, which propagates.</summary>
    private static ActivityResult? Classify(ActivityCall call, Exception exception) => exception switch
    {
        MistralApiException { IsTransient: true } mistralError => ActivityResult.Retry(call, mistralError.Message, mistralError.RetryAfter),
        MistralApiException mistralError => ActivityResult.Fail(call, mistralError.Message),
        RequestFailedException { Status: 412 } => ActivityResult.Fail(call, "The input blob changed after the batch started; a new upload is a new batch."),
        RequestFailedException { Status: 404 } storageError => ActivityResult.Fail(call, $"Storage: not found ({storageError.ErrorCode})."),
        RequestFailedException storageError when storageError.Status is 0 or 408 or 429 or >= 500 => ActivityResult.Retry(call, $"Storage: {storageError.Status} {storageError.ErrorCode}"),
        RequestFailedException storageError => ActivityResult.Fail(call, $"Storage: {storageError.Status} {storageError.ErrorCode}"),
        HttpRequestException or IOException or TimeoutException => ActivityResult.Retry(call, $"{exception.GetType().Name} while running {call.Name}"),
        _ => null,
    };
}
