using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using BatchFunctions.Core;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>
/// Starts batches from the <c>batch-requests</c> queue: each message is the JSON of <c>POST /api/batches</c>
/// (plain or base64, as the Functions host writes it). A message that fails shows again after its
/// visibility timeout; after <see cref="RunnerOptions.MaxDequeueCount"/> attempts, or at once when it is not
/// JSON at all, it is moved to the poison queue wrapped with the reason.
/// </summary>
public sealed class RequestQueueListener(
    BatchStorage storage,
    IServiceProvider services,
    BatchScheduler scheduler,
    TimeProvider timeProvider,
    IOptions<RunnerOptions> options,
    ILogger<RequestQueueListener> logger) : BackgroundService
{
    private const int MaxKeptChars = 40_000;

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
        if (Decode(text) is not { } request)
        {
            await PoisonAsync(message, text, "The message is not a JSON start request ({\"blob\": {...}} or {\"requests\": [...]}), plain or base64.", cancellationToken);
            return;
        }

        string reason;
        try
        {
            var (source, errors) = await services.GetRequiredService<BatchSubmitter>().ResolveAsync(request, cancellationToken);
            if (source is not null)
            {
                var started = await services.GetRequiredService<BatchRunner>().StartAsync(source, cancellationToken);
                await Requests.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
                if (started.Created)
                {
                    scheduler.Wake();
                }

                return;
            }

            reason = string.Join(" ", errors);
        }
        catch (RequestFailedException exception)
        {
            // Status and code only: a storage exception's message carries request details.
            reason = $"Storage answered {exception.Status} {exception.ErrorCode}.";
        }

        if (message.DequeueCount >= options.Value.MaxDequeueCount)
        {
            await PoisonAsync(message, text, reason, cancellationToken);
        }
        else
        {
            RunnerLog.MessageFailed(logger, message.MessageId, message.DequeueCount, reason);
        }
    }

    private async Task PoisonAsync(QueueMessage message, string text, string reason, CancellationToken cancellationToken)
    {
        // A queue message holds 64 KB: a very long original is cut so that the wrapper still fits.
        var kept = text.Length > MaxKeptChars ? text[..MaxKeptChars] : text;
        var wrapped = new PoisonMessage(reason, message.DequeueCount, message.MessageId, timeProvider.GetUtcNow(), kept);
        await Poison.SendMessageAsync(JsonSerializer.Serialize(wrapped, RunnerJsonContext.Default.PoisonMessage), cancellationToken);
        await Requests.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        RunnerLog.MessagePoisoned(logger, message.MessageId, options.Value.PoisonQueueName, message.DequeueCount, reason);
    }

    private static StartBatchRequest? Decode(string text)
    {
        if (TryParse(text) is { } plain)
        {
            return plain;
        }

        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), buffer, out var length) ? TryParse(Encoding.UTF8.GetString(buffer, 0, length)) : null;
    }

    private static StartBatchRequest? TryParse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, BatchJsonContext.Default.StartBatchRequest);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
