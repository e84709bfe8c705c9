using Azure.Storage.Blobs;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// A JSONL dropped in the input container starts a batch. In Azure (Flex Consumption) the Event Grid
/// trigger is the one that runs; the polling twin is for local runs and plans without Event Grid, and is
/// switched off in Azure with <c>AzureWebJobs.StartFromBlobScan.Disabled=true</c>.
/// </summary>
public sealed class BlobStarterFunctions(BatchStarter starter, BatchStorage storage, ILogger<BlobStarterFunctions> logger)
{
    /// <summary>Blob created, delivered by Event Grid.</summary>
    [Function(nameof(StartFromBlobEvent))]
    public Task StartFromBlobEvent(
        [BlobTrigger("%BATCH_INPUT_CONTAINER%/{name}", Source = BlobTriggerSource.EventGrid, Connection = AppSettings.StorageConnection)] BlobClient blob,
        string name,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) => StartAsync(blob, name, client, cancellationToken);

    /// <summary>Blob created, found by the host scanning the container (local runs).</summary>
    [Function(nameof(StartFromBlobScan))]
    public Task StartFromBlobScan(
        [BlobTrigger("%BATCH_INPUT_CONTAINER%/{name}", Connection = AppSettings.StorageConnection)] BlobClient blob,
        string name,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) => StartAsync(blob, name, client, cancellationToken);

    private async Task StartAsync(BlobClient blob, string name, DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (!name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            OrchestratorLog.Ignored(logger, name);
            return;
        }

        // The trigger's path pins the container; the name is still checked before it is used anywhere.
        if (BlobNames.CheckInputName(name, "The blob name") is { } problem)
        {
            OrchestratorLog.BlobIgnored(logger, string.Concat(name.Select(c => char.IsControl(c) ? '?' : c)), problem);
            return;
        }

        var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
        var source = new BatchSource(storage.AccountName, blob.BlobContainerName, name, properties.Value.ETag.ToString());
        await starter.StartAsync(client, source, cancellationToken);
    }
}
