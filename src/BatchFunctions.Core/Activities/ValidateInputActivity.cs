using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Activities;

/// <summary>
/// Checks the input and its settings and, in the same pass, cuts a valid one into parts (byte ranges of the
/// input, uploaded from there) and writes its custom_ids' hashes for the merge. An invalid input leaves its
/// report in staging for the rejection, and nothing else.
/// </summary>
public sealed class ValidateInputActivity(BatchStorage storage, IOptions<BatchDefaultsOptions> defaults, IOptions<MistralClientOptions> mistral) : IBatchActivity<ValidateInputCall>
{
    // Blobs written line by line hold one block in memory until it is staged (see BlockChecksum.LineByLine).
    private static readonly BlockBlobOpenWriteOptions SmallBlocks = BlockChecksum.LineByLine();

    /// <inheritdoc/>
    public async Task<ActivityResult> RunAsync(ValidateInputCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var options = defaults.Value;
        var blob = storage.Blobs.GetBlobContainerClient(call.Source.Container).GetBlobClient(call.Source.Name);
        var conditions = new BlobRequestConditions { IfMatch = new ETag(call.Source.ETag) };
        var properties = await blob.GetPropertiesAsync(conditions, cancellationToken);
        var (settings, settingsErrors) = BatchSettingsResolver.Resolve(properties.Value.Metadata, options);
        var validation = BatchSettingsResolver.ValidationOptions(settings, options) with { ExpectedBytes = properties.Value.ContentLength };
        var hashesBlob = storage.Staging.GetBlockBlobClient(BlobLayout.IdHashes(call.InstanceId));

        JsonlValidationReport report;
        IReadOnlyList<JsonlPart>? parts = null;
        await using (var input = await BatchFiles.OpenStreamingAsync(blob, call.Source.ETag, default, cancellationToken))
        {
            if (settingsErrors.Count > 0)
            {
                // Refused whatever its lines say: they are checked for the report, and nothing is planned.
                report = await JsonlValidator.ValidateAsync(input, validation, cancellationToken);
            }
            else
            {
                await using var hashes = await hashesBlob.OpenWriteAsync(overwrite: true, SmallBlocks, cancellationToken);
                var planner = new JsonlPartPlanner(Merging.SplitOptions(options, mistral.Value), hashes);
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
        await BatchFiles.WriteJsonAsync(storage.Staging.GetBlobClient(BlobLayout.ValidationReport(call.InstanceId)), rejection, BatchJsonContext.Readable.RejectionReport, cancellationToken);
        return ActivityResult.Success(call, new ValidatedPayload(false, report.Requests, report.Bytes, report.ErrorCount + settingsErrors.Count, rejection.Describe(), null));
    }
}
