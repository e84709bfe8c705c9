using System.Text.Json;
using Azure;
using Azure.Identity;
using Azure.Messaging.EventGrid;
using BatchFunctions.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Activities;

/// <summary>
/// Publishes a CloudEvents 1.0 <c>BatchFunctions.BatchCompleted</c> event per finished batch to the configured
/// Event Grid topic, with the app's managed identity (or the topic's key). The client's own pipeline retries
/// transient failures, honouring Retry-After; an event that still fails is logged and dropped, never failing
/// the batch, whose completion message is on the queue regardless.
/// </summary>
public sealed class CompletionEventPublisher(IOptions<NotificationOptions> options, IOptions<BatchStorageOptions> storage, ILogger<CompletionEventPublisher> logger)
{
    /// <summary>The event type, for subscriptions that filter on it.</summary>
    public const string EventType = "BatchFunctions.BatchCompleted";

    /// <summary>The event source: the producer, whatever topic it publishes to.</summary>
    public const string EventSource = "/batchfunctions/batches";

    private readonly Lazy<EventGridPublisherClient?> _client = new(() => Create(options.Value, storage.Value));

    /// <summary>
    /// The event for <paramref name="message"/> in the CloudEvents JSON batch format (an array of one): its id
    /// is the batch's, so a consumer that sees it twice (a finalize retried) can tell. Written here rather than
    /// through Azure.Messaging.CloudEvent, whose serializer needs reflection.
    /// </summary>
    public static byte[] EncodeEvent(CompletionMessage message, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartArray();
            writer.WriteStartObject();
            writer.WriteString("specversion", "1.0");
            writer.WriteString("id", message.Id);
            writer.WriteString("source", EventSource);
            writer.WriteString("type", EventType);
            writer.WriteString("subject", $"batches/{message.Id}");
            writer.WriteString("time", time.ToUniversalTime());
            writer.WriteString("datacontenttype", "application/json");
            writer.WritePropertyName("data");
            JsonSerializer.Serialize(writer, message, BatchJsonContext.Readable.CompletionMessage);
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        return buffer.ToArray();
    }

    /// <summary>Publishes the event for <paramref name="message"/>, if a topic is configured.</summary>
    public async Task PublishAsync(CompletionMessage message, DateTimeOffset time, CancellationToken cancellationToken = default)
    {
        if (_client.Value is not { } client)
        {
            return;
        }

        try
        {
            await client.SendEncodedCloudEventsAsync(EncodeEvent(message, time), cancellationToken);
            ActivityLog.EventPublished(logger, message.Id);
        }
        catch (Exception exception) when (exception is RequestFailedException or AuthenticationFailedException or CredentialUnavailableException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // The status only: the exception's message may quote the response, and a key-bearing request.
            ActivityLog.EventFailed(logger, message.Id, exception is RequestFailedException failed ? failed.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) : exception.GetType().Name);
        }
    }

    private static EventGridPublisherClient? Create(NotificationOptions options, BatchStorageOptions storage)
    {
        if (options.EventGridTopicEndpoint is not { } endpoint)
        {
            return null;
        }

        return options.EventGridTopicKey is { Length: > 0 } key
            ? new EventGridPublisherClient(endpoint, new AzureKeyCredential(key))
            : new EventGridPublisherClient(endpoint, new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = storage.ManagedIdentityClientId }));
    }
}
