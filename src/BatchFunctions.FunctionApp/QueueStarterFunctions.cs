using Azure;
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
public sealed class QueueStarterFunctions(BatchStarter starter, BatchSubmitter submitter, BatchStorage storage, TimeProvider timeProvider, ILogger<QueueStarterFunctions> logger)
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
        if (StartRequestMessage.Decode(text) is not { } request)
        {
            await PoisonAsync(message, text, StartRequestMessage.NotAStartRequest, cancellationToken);
            return;
        }

        var (source, errors) = await submitter.ResolveAsync(request, RequestOrigin.QueueMessage, cancellationToken);
        if (source is null)
        {
            await PoisonAsync(message, text, string.Join(" ", errors), cancellationToken);
            return;
        }

        await starter.StartAsync(client, source, cancellationToken);
    }

    private async Task PoisonAsync(QueueMessage message, string text, string reason, CancellationToken cancellationToken)
    {
        var poison = storage.Queues.GetQueueClient(PoisonQueue);
        var wrapped = StartRequestMessage.Wrap(text, reason, message.DequeueCount, message.MessageId, timeProvider.GetUtcNow());
        try
        {
            await poison.SendMessageAsync(wrapped, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await poison.SendMessageAsync(wrapped, cancellationToken);
        }

        // Returning normally lets the host delete the message: it is kept, with its reason, in the poison queue.
        OrchestratorLog.Poisoned(logger, message.MessageId, PoisonQueue, reason);
    }
}
