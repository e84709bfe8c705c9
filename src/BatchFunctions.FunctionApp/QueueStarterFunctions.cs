using Azure.Storage.Queues.Models;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// A <c>batch-requests</c> message (the same JSON as <c>POST /api/batches</c>) starts a batch. A message that
/// can never start one (not a request, invalid, naming a blob that is not there) is set aside at once in
/// <c>batch-requests-poison</c> wrapped with the reason, as the runner does; a passing failure throws, so
/// that the host retries it and after <c>queues.maxDequeueCount</c> attempts poisons it itself.
/// </summary>
public sealed class QueueStarterFunctions(StartMessageHandler handler, BatchStarter starter, BatchStorage storage, TimeProvider timeProvider, ILogger<QueueStarterFunctions> logger)
{
    /// <summary>The queue the host moves failed messages to, and where hopeless ones go at once.</summary>
    public const string PoisonQueue = AppSettings.RequestsQueue + "-poison";

    /// <summary>Starts the batch a message asks for.</summary>
    [Function(nameof(StartFromQueue))]
    public async Task StartFromQueue(
        [QueueTrigger(AppSettings.RequestsQueue, Connection = AppSettings.StorageConnection)] QueueMessage message,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = message.Body.ToString();
        if (await handler.StartAsync(text, new DurableInstances(client, starter, timeProvider), cancellationToken) is { } reason)
        {
            await handler.PoisonAsync(storage.Queues.GetQueueClient(PoisonQueue), text, reason, message.DequeueCount, message.MessageId, cancellationToken);

            // Returning normally lets the host delete the message: it is kept, with its reason, in the poison queue.
            OrchestratorLog.Poisoned(logger, message.MessageId, PoisonQueue, reason);
        }
    }
}
