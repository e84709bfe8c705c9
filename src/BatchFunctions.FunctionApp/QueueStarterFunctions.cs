using System.Text.Json;
using BatchFunctions.Core;
using BatchFunctions.Core.Api;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// A <c>batch-requests</c> message (the same JSON as <c>POST /api/batches</c>) starts a batch. A message that
/// can never start one throws with the reason, so that after <c>queues.maxDequeueCount</c> attempts the host
/// moves it to <c>batch-requests-poison</c>.
/// </summary>
public sealed class QueueStarterFunctions(BatchStarter starter, BatchSubmitter submitter, ILogger<QueueStarterFunctions> logger)
{
    /// <summary>Starts the batch a message asks for.</summary>
    [Function(nameof(StartFromQueue))]
    public async Task StartFromQueue(
        [QueueTrigger(AppSettings.RequestsQueue, Connection = AppSettings.StorageConnection)] string message,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        StartBatchRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(message, BatchJsonContext.Default.StartBatchRequest);
        }
        catch (JsonException exception)
        {
            OrchestratorLog.Rejected(logger, "message is not valid JSON");
            throw new InvalidOperationException($"The batch-requests message is not valid JSON (near byte {exception.BytePositionInLine}).", exception);
        }

        var (source, errors) = await submitter.ResolveAsync(request ?? new StartBatchRequest(), cancellationToken);
        if (source is null)
        {
            var reason = string.Join(" ", errors);
            OrchestratorLog.Rejected(logger, reason);
            throw new InvalidOperationException("The batch-requests message cannot start a batch: " + reason);
        }

        await starter.StartAsync(client, source, cancellationToken);
    }
}
