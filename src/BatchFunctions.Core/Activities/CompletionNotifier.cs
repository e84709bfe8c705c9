using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Activities;

/// <summary>
/// Announces a finished batch beyond the completion queue: a POST to the configured webhook (signed as
/// Standard Webhooks describe when a secret is set) and a CloudEvent to the configured Event Grid topic.
/// Retries live in each client's HTTP pipeline (honouring Retry-After); a delivery that still fails is logged
/// and dropped, never failing the batch, whose completion message is on the queue regardless.
/// </summary>
public sealed class CompletionNotifier(
    HttpClient httpClient,
    IOptions<NotificationOptions> options,
    CompletionEventPublisher events,
    TimeProvider timeProvider,
    ILogger<CompletionNotifier> logger)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    /// <summary>Delivers <paramref name="message"/> to the webhook and the topic, those configured.</summary>
    public async Task NotifyAsync(CompletionMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = timeProvider.GetUtcNow();
        await PostWebhookAsync(message, now, cancellationToken);
        await events.PublishAsync(message, now, cancellationToken);
    }

    /// <summary>
    /// The <c>webhook-signature</c> value for one delivery: <c>v1,</c> and the base64 HMAC-SHA256, keyed with
    /// the secret's bytes, of <c>{id}.{timestamp}.{body}</c> (Standard Webhooks).
    /// </summary>
    public static string Sign(byte[] key, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(key);
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{id}.{timestamp}.")));
        hmac.AppendData(body);
        return "v1," + Convert.ToBase64String(hmac.GetHashAndReset());
    }

    private async Task PostWebhookAsync(CompletionMessage message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (options.Value.WebhookUrl is not { } url)
        {
            return;
        }

        // The exact bytes signed are the bytes sent, on every retry of this delivery.
        var body = JsonSerializer.SerializeToUtf8Bytes(message, BatchJsonContext.Readable.CompletionMessage);
        var timestamp = now.ToUnixTimeSeconds();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = Json;
            request.Headers.Add("webhook-id", message.Id);
            request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            if (options.Value.WebhookKey() is { } key)
            {
                request.Headers.Add("webhook-signature", Sign(key, message.Id, timestamp, body));
            }

            using var response = await httpClient.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                ActivityLog.WebhookDelivered(logger, message.Id, (int)response.StatusCode);
            }
            else
            {
                ActivityLog.WebhookFailed(logger, message.Id, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or Polly.Timeout.TimeoutRejectedException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            ActivityLog.WebhookFailed(logger, message.Id, exception.GetType().Name);
        }
    }
}
