using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Activities;

/// <summary>
/// Splits the input into staged parts, or uses it whole when it fits one job: for batches whose validation was
/// recorded before validation planned the parts itself (a Durable history replayed by a newer version, a
/// runner state saved by an older one).
/// </summary>
public sealed class StagePartsActivity(BatchStorage storage, IOptions<BatchDefaultsOptions> defaults, IOptions<MistralClientOptions> mistral) : IBatchActivity<StagePartsCall>
{
    /// <inheritdoc/>
    public async Task<ActivityResult> RunAsync(StagePartsCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var split = Merging.SplitOptions(defaults.Value, mistral.Value);
        if (JsonlSplitter.FitsInOnePart(call.Requests, call.Bytes, split))
        {
            return ActivityResult.Success(call, new StagedPayload([new StagedPart(0, call.Source.Container, call.Source.Name, call.Requests, call.Bytes)]));
        }

        var blob = storage.Blobs.GetBlobContainerClient(call.Source.Container).GetBlobClient(call.Source.Name);
        IReadOnlyList<JsonlPart> parts;
        await using (var input = await BatchFiles.OpenStreamingAsync(blob, call.Source.ETag, default, cancellationToken))
        {
            parts = await JsonlSplitter.SplitAsync(
                input,
                async (index, token) => await storage.Staging.GetBlockBlobClient(BlobLayout.Part(call.InstanceId, index)).OpenWriteAsync(overwrite: true, cancellationToken: token),
                split,
                cancellationToken);
        }

        return ActivityResult.Success(call, new StagedPayload([.. parts.Select(p => new StagedPart(p.Index, storage.Options.StagingContainer, BlobLayout.Part(call.InstanceId, p.Index), p.Requests, p.Bytes))]));
    }
}
