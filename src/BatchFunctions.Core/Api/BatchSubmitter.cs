using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Api;

/// <summary>What a JSONL upload came to: the committed input, or why not (with the validation report when the content was read).</summary>
/// <param name="Source">The input version, when the upload was valid and committed.</param>
/// <param name="Errors">Why it was refused.</param>
/// <param name="Report">The validation report of the content, when it was read.</param>
/// <param name="Conflict">Why the name could not be written (its input's batch is running, or another upload won), when that is why.</param>
public sealed record UploadResult(BatchSource? Source, IReadOnlyList<string> Errors, JsonlValidationReport? Report, StartRefused? Conflict = null);

/// <summary>The input version a start request resolves to, or why it has none.</summary>
/// <param name="Source">The input version.</param>
/// <param name="Errors">Why there is none.</param>
/// <param name="Conflict">When there is none because the input's name is in use: the 409 to answer (its detail is also the one error).</param>
public sealed record SourceResolution(BatchSource? Source, IReadOnlyList<string> Errors, StartRefused? Conflict = null)
{
    /// <summary>The source and the errors, as most callers want them.</summary>
    public void Deconstruct(out BatchSource? source, out IReadOnlyList<string> errors) => (source, errors) = (Source, Errors);
}

/// <summary>What a dry run found: the validation report and the model the job would run, or why the request cannot start.</summary>
/// <param name="Report">The validation of the content, when it was read.</param>
/// <param name="Model">The job's model, as the settings resolve it.</param>
/// <param name="Errors">Why the request is refused (settings, names, or the content's first errors).</param>
public sealed record DryRunResult(JsonlValidationReport? Report, string? Model, IReadOnlyList<string> Errors);

/// <summary>
/// Turns a start request into the input blob version that identifies the batch: a referenced blob as it is
/// now, or inline requests written to the input container with their settings as metadata. Problems come
/// back as messages for a 400 answer, never as exceptions.
/// </summary>
public sealed class BatchSubmitter(BatchStorage storage, TimeProvider timeProvider, IOptions<BatchDefaultsOptions> defaults)
{
    /// <summary>The most inline requests one start request may carry; larger batches go through a blob.</summary>
    public const int MaxInlineRequests = 10_000;

    /// <summary>The batch source for <paramref name="request"/>, or why there is none; nothing is read or written unless every field is valid.</summary>
    public async Task<SourceResolution> ResolveAsync(StartBatchRequest request, CancellationToken cancellationToken = default) =>
        await ResolveAsync(request, RequestOrigin.JsonBody, cancellationToken);

    /// <summary>The batch source for <paramref name="request"/>, with errors naming fields as <paramref name="origin"/> spells them.</summary>
    public async Task<SourceResolution> ResolveAsync(StartBatchRequest request, RequestOrigin origin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = StartRequestRules.CheckRequest(request, origin, storage.Options.InputContainers);
        if (errors.Count > 0)
        {
            return new SourceResolution(null, errors);
        }

        return request.Blob is { } blob ? await FromBlobAsync(blob, errors, cancellationToken) : await WriteInlineAsync(request, cancellationToken);
    }

    /// <summary>
    /// A dry run of <paramref name="request"/>: the checks and the validation a start would make, on the referenced
    /// blob (read, not changed) or the inline requests, with nothing written and nothing started.
    /// </summary>
    public async Task<DryRunResult> DryRunAsync(StartBatchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = StartRequestRules.CheckRequest(request, RequestOrigin.JsonBody, storage.Options.InputContainers);
        if (errors.Count > 0)
        {
            return new DryRunResult(null, null, errors);
        }

        if (request.Blob is { } reference)
        {
            var blob = storage.Blobs.GetBlobContainerClient(reference.Container ?? storage.Options.InputContainer).GetBlobClient(reference.Name);
            try
            {
                var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
                var (blobValidation, blobErrors) = ValidationFor(properties.Value.Metadata);
                if (blobValidation is null)
                {
                    return new DryRunResult(null, null, blobErrors);
                }

                var download = await blob.DownloadStreamingAsync(new BlobDownloadOptions { Conditions = new BlobRequestConditions { IfMatch = properties.Value.ETag } }, cancellationToken);
                await using var content = download.Value.Content;
                return new DryRunResult(await JsonlValidator.ValidateAsync(content, blobValidation with { ExpectedBytes = properties.Value.ContentLength }, cancellationToken), blobValidation.Model, []);
            }
            catch (RequestFailedException exception) when (exception.Status == 404)
            {
                return new DryRunResult(null, null, [$"No blob '{reference.Name}' in container '{reference.Container ?? storage.Options.InputContainer}'."]);
            }
        }

        var (validation, settingErrors) = ValidationFor(MetadataOf(request));
        if (validation is null)
        {
            return new DryRunResult(null, null, settingErrors);
        }

        using var inline = await InlineContentAsync(request, cancellationToken);
        var report = await JsonlValidator.ValidateAsync(inline, validation, cancellationToken);
        return new DryRunResult(report, validation.Model, report.IsValid ? [] : [.. report.Errors.Select(InlineLine)]);
    }

    /// <summary>A dry run of a JSONL upload: the checks and the validation <see cref="UploadAsync"/> makes, reading the body once and storing nothing.</summary>
    public async Task<DryRunResult> DryRunUploadAsync(Stream content, StartBatchRequest settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(settings);
        var (validation, errors) = UploadValidation(settings);
        if (validation is null)
        {
            return new DryRunResult(null, null, errors);
        }

        var report = await JsonlValidator.ValidateAsync(content, validation, cancellationToken);
        return new DryRunResult(report, validation.Model, report.IsValid ? [] : [.. report.Errors.Select(e => e.Describe())]);
    }

    private async Task<SourceResolution> FromBlobAsync(BlobReference reference, List<string> errors, CancellationToken cancellationToken)
    {
        var container = reference.Container ?? storage.Options.InputContainer;
        try
        {
            var properties = await storage.Blobs.GetBlobContainerClient(container).GetBlobClient(reference.Name).GetPropertiesAsync(cancellationToken: cancellationToken);
            return new SourceResolution(new BatchSource(storage.AccountName, container, reference.Name!, properties.Value.ETag.ToString()), errors);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            errors.Add($"No blob '{reference.Name}' in container '{container}'.");
            return new SourceResolution(null, errors);
        }
    }

    /// <summary>
    /// Streams a JSONL body (<c>POST /api/batches</c> with <c>Content-Type: application/x-ndjson</c>) into the
    /// input container with the settings of <paramref name="settings"/> as metadata, validating it in the same
    /// pass. The blob is committed only when the content is valid: an invalid body is refused with its report
    /// and leaves no blob behind (its staged blocks are never committed). About 16 MiB are held at a time.
    /// </summary>
    public async Task<UploadResult> UploadAsync(Stream content, StartBatchRequest settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(settings);
        var (validation, errors) = UploadValidation(settings);
        if (validation is null)
        {
            return new UploadResult(null, errors, null);
        }

        var metadata = MetadataOf(settings);
        var name = settings.Name ?? NewName("uploads");
        var (conditions, inUse) = await WriteConditionsAsync(name, chosenHere: settings.Name is null, cancellationToken);
        if (inUse is not null)
        {
            // Refused before a byte is staged: the running batch's input is untouched and nothing is left behind.
            return new UploadResult(null, [inUse.Detail], null, inUse);
        }

        var blob = storage.Input.GetBlockBlobClient(name);
        List<string> blocks;
        JsonlValidationReport report;
        try
        {
            (blocks, report) = await ValidatingUpload.StageAsync(content, blob, validation, cancellationToken);
        }
        catch
        {
            await DiscardStagedAsync(blob, conditions);
            throw;
        }

        if (!report.IsValid)
        {
            await DiscardStagedAsync(blob, conditions);
            return new UploadResult(null, [.. report.Errors.Select(e => e.Describe())], report);
        }

        try
        {
            var committed = await blob.CommitBlockListAsync(blocks, new CommitBlockListOptions { Metadata = metadata, Conditions = conditions }, cancellationToken);
            return new UploadResult(new BatchSource(storage.AccountName, storage.Options.InputContainer, name, committed.Value.ETag.ToString()), errors, report);
        }
        catch (RequestFailedException exception) when (IsLostRace(exception))
        {
            await DiscardStagedAsync(blob, conditions);
            var conflict = WrittenMeanwhile(name);
            return new UploadResult(null, [conflict.Detail], report, conflict);
        }
    }

    /// <summary>
    /// How the input <paramref name="name"/> may be written: conditions under which the write fails when another
    /// write of the name lands first, or the 409 when the name holds the input of a batch that has not finished
    /// (replacing it would change what that batch reads). A name <paramref name="chosenHere"/> is new by construction.
    /// </summary>
    private async Task<(BlobRequestConditions Conditions, StartRefused? InUse)> WriteConditionsAsync(string name, bool chosenHere, CancellationToken cancellationToken)
    {
        var absent = new BlobRequestConditions { IfNoneMatch = ETag.All };
        if (chosenHere)
        {
            return (absent, null);
        }

        BlobProperties existing;
        try
        {
            existing = (await storage.Input.GetBlobClient(name).GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return (absent, null);
        }

        var batch = BatchInstanceId.From(new BatchSource(storage.AccountName, storage.Options.InputContainer, name, existing.ETag.ToString()));
        if (await storage.FileOf(name, batch, BatchFileKind.Summary).ExistsAsync(cancellationToken) || await storage.FileOf(name, batch, BatchFileKind.Rejection).ExistsAsync(cancellationToken))
        {
            // Its batch is over: a new version of the name is a new batch, as when a file is dropped again.
            return (new BlobRequestConditions { IfMatch = existing.ETag }, null);
        }

        return (absent, new StartRefused(
            409,
            "Input in use",
            $"The input container already holds '{name}', the input of batch {batch}, which has not finished: writing that name would change what it reads. Choose another name, leave 'name' out to get a name of its own, or send it again once batch {batch} has ended."));
    }

    private static StartRefused WrittenMeanwhile(string name) => new(
        409,
        "Input in use",
        $"Another request wrote '{name}' while this one was being received; nothing of this request was kept. Choose another name, or leave 'name' out to get a name of its own.");

    /// <summary>Whether a write failed because another write of the same name landed first (or, for blocks, committed and so discarded ours).</summary>
    private static bool IsLostRace(RequestFailedException exception) =>
        exception.Status is 409 or 412 || exception.ErrorCode is "InvalidBlockList" or "BlobAlreadyExists" or "ConditionNotMet";

    /// <summary>
    /// Drops what a refused upload staged. Blocks staged on a name with no committed version show as an empty,
    /// uncommitted blob until the service collects them a week later, so that blob is deleted, unless a committed
    /// version has appeared since (another request's); blocks staged on an existing blob stay invisible and go
    /// with its next commit.
    /// </summary>
    private static async Task DiscardStagedAsync(BlockBlobClient blob, BlobRequestConditions conditions)
    {
        if (conditions.IfNoneMatch != ETag.All)
        {
            return;
        }

        try
        {
            await blob.GetPropertiesAsync(cancellationToken: CancellationToken.None);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            try
            {
                await blob.DeleteIfExistsAsync(cancellationToken: CancellationToken.None);
            }
            catch (RequestFailedException)
            {
                // Best effort: the service collects uncommitted blocks within a week.
            }
        }
    }

    /// <summary>How a JSONL upload with <paramref name="settings"/> is validated, or why its settings are refused.</summary>
    private (JsonlValidationOptions? Options, IReadOnlyList<string> Errors) UploadValidation(StartBatchRequest settings)
    {
        var errors = new List<string>();
        if (settings.Blob is not null || settings.Requests is not null)
        {
            errors.Add("A JSONL upload is the requests itself: give only its name and settings.");
        }

        StartRequestRules.CheckSettings(settings, RequestOrigin.Query, errors);
        var (validation, settingErrors) = ValidationFor(MetadataOf(settings));
        return errors.Count > 0 || validation is null ? (null, errors.Count > 0 ? errors : settingErrors) : (validation, []);
    }

    /// <summary>How content with these settings is validated (as the workflow will), or why the settings are refused.</summary>
    private (JsonlValidationOptions? Options, IReadOnlyList<string> Errors) ValidationFor(IDictionary<string, string> metadata)
    {
        var (settings, errors) = BatchSettingsResolver.Resolve(metadata, defaults.Value);
        return (errors.Count > 0 ? null : BatchSettingsResolver.ValidationOptions(settings, defaults.Value), errors);
    }

    /// <summary>An inline request's problem, with its index in <c>requests</c> (line N of the input is item N-1).</summary>
    private static string InlineLine(JsonlIssue issue) => issue.Line == 0
        ? "requests: " + issue.Describe()
        : string.Create(CultureInfo.InvariantCulture, $"requests[{issue.Line - 1}]{(issue.Field is null ? string.Empty : "." + issue.Field)}: {issue.Code}: {issue.Message}");

    private string NewName(string folder) => string.Create(CultureInfo.InvariantCulture, $"{folder}/{timeProvider.GetUtcNow():yyyyMMdd}/{Guid.NewGuid():N}.jsonl");

    private Dictionary<string, string> MetadataOf(StartBatchRequest request) =>
        BatchSettingsResolver.ToBlobMetadata(request.Model ?? defaults.Value.Model, request.Endpoint ?? defaults.Value.Endpoint, request.TimeoutHours, request.Metadata, BatchPriorities.Parse(request.Priority));

    /// <summary>Inline requests as JSONL, one line each (the request is held in memory already: its size is the host's limit).</summary>
    private static async Task<MemoryStream> InlineContentAsync(StartBatchRequest request, CancellationToken cancellationToken)
    {
        var content = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(content))
        {
            foreach (var line in request.Requests!)
            {
                line.WriteTo(writer);
                await writer.FlushAsync(cancellationToken);
                writer.Reset();
                content.WriteByte((byte)'\n');
            }
        }

        content.Position = 0;
        return content;
    }

    /// <summary>Writes inline requests as the input blob, once they pass the validation the workflow would apply.</summary>
    private async Task<SourceResolution> WriteInlineAsync(StartBatchRequest request, CancellationToken cancellationToken)
    {
        var name = request.Name ?? NewName("inline");
        var metadata = MetadataOf(request);
        using var content = await InlineContentAsync(request, cancellationToken);

        // The request is held in memory already (its size is the host's limit): check it before storing it.
        var (validation, settingErrors) = ValidationFor(metadata);
        if (validation is null)
        {
            return new SourceResolution(null, settingErrors);
        }

        var report = await JsonlValidator.ValidateAsync(content, validation, cancellationToken);
        if (!report.IsValid)
        {
            return new SourceResolution(null, [.. report.Errors.Select(InlineLine)]);
        }

        var (conditions, inUse) = await WriteConditionsAsync(name, chosenHere: request.Name is null, cancellationToken);
        if (inUse is not null)
        {
            return new SourceResolution(null, [inUse.Detail], inUse);
        }

        content.Position = 0;
        var blob = storage.Input.GetBlobClient(name);
        try
        {
            var uploaded = await blob.UploadAsync(content, new BlobUploadOptions { Metadata = metadata, Conditions = conditions }, cancellationToken);
            return new SourceResolution(new BatchSource(storage.AccountName, storage.Options.InputContainer, name, uploaded.Value.ETag.ToString()), []);
        }
        catch (RequestFailedException exception) when (IsLostRace(exception))
        {
            var conflict = WrittenMeanwhile(name);
            return new SourceResolution(null, [conflict.Detail], conflict);
        }
    }
}
