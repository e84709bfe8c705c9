using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>
/// Starts batches from the <c>batch-requests</c> queue: each message is the JSON of <c>POST /api/batches</c>
/// (plain or base64, as the Functions host writes it). A message that can never start a batch (not a
/// request, invalid, naming a blob that is not there) is moved to the poison queue at once, wrapped with the
/// reason; one that failed for a passing reason shows again after its visibility timeout, and after
/// <see cref="RunnerOptions.MaxDequeueCount"/> attempts is moved there too.
/// </summary>
public sealed class RequestQueueListener(
    BatchStorage storage,
    IServiceProvider services,
    TimeProvider timeProvider,
    IOptions<RunnerOptions> options,
    ILogger<RequestQueueListener> logger) : BackgroundService
{
    private QueueClient Requests => storage.Queues.GetQueueClient(options.Value.RequestsQueue);

    private QueueClient Poison => storage.Queues.GetQueueClient(options.Value.PoisonQueueName);

    /// <summary>Takes what messages are visible now and handles them; returns how many there were.</summary>
    public async Task<int> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        QueueMessage[] messages = await Requests.ReceiveMessagesAsync(maxMessages: 16, settings.QueueVisibilityTimeout, cancellationToken);
        foreach (var message in messages)
        {
            await HandleAsync(message, cancellationToken);
        }

        return messages.Length;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ListenToQueue)
        {
            return;
        }

        try
        {
            var ready = false;
            while (!stoppingToken.IsCancellationRequested)
            {
                var received = 0;
                try
                {
                    if (!ready)
                    {
                        await Requests.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                        await Poison.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                        ready = true;
                    }

                    received = await ReceiveAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    if (RunnerLog.IsUnreachable(exception))
                    {
                        RunnerLog.StorageUnreachable(logger, storage.Blobs.Uri);
                    }
                    else
                    {
                        RunnerLog.ListenFailed(logger, exception);
                    }
                }

                if (received == 0)
                {
                    await Task.Delay(options.Value.QueuePollInterval, timeProvider, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        var text = message.Body.ToString();
        string reason;
        try
        {
            if (await services.GetRequiredService<StartMessageHandler>().StartAsync(text, services.GetRequiredService<RunnerInstances>(), cancellationToken) is { } hopeless)
            {
                await PoisonAsync(message, text, hopeless, cancellationToken);
                return;
            }

            await Requests.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            return;
        }
        catch (RequestFailedException exception)
        {
            // Status and code only: a storage exception's message carries request details.
            reason = $"Storage answered {exception.Status} {exception.ErrorCode}.";
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            reason = $"{exception.GetType().Name} while starting the batch.";
        }

        try
        {
            if (message.DequeueCount >= options.Value.MaxDequeueCount)
            {
                await PoisonAsync(message, text, reason, cancellationToken);
            }
            else
            {
                RunnerLog.MessageFailed(logger, message.MessageId, message.DequeueCount, reason);
            }
        }
        catch (RequestFailedException exception)
        {
            // The message shows again after its visibility timeout; the rest of the batch goes on.
            RunnerLog.MessageFailed(logger, message.MessageId, message.DequeueCount, $"{reason} Setting it aside failed too: {exception.Status} {exception.ErrorCode}.");
        }
    }

    private async Task PoisonAsync(QueueMessage message, string text, string reason, CancellationToken cancellationToken)
    {
        await services.GetRequiredService<StartMessageHandler>().PoisonAsync(Poison, text, reason, message.DequeueCount, message.MessageId, cancellationToken);
        await Requests.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        RunnerLog.MessagePoisoned(logger, message.MessageId, options.Value.PoisonQueueName, message.DequeueCount, reason);
    }
}
