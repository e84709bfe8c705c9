using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Activities;

/// <summary>
/// Posts completion messages to the configured webhook. Retries live in this client's HTTP pipeline (the
/// standard resilience handler, honouring Retry-After); a delivery that still fails is logged and dropped,
/// never failing the batch, whose completion message is on the queue regardless.
/// </summary>
public sealed class CompletionNotifier(HttpClient httpClient, IOptions<NotificationOptions> options, ILogger<CompletionNotifier> logger)
{
    /// <summary>Delivers <paramref name="message"/> to the webhook, if one is configured.</summary>
    public async Task NotifyAsync(CompletionMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (options.Value.WebhookUrl is not { } url)
        {
            return;
        }

        try
        {
            using var response = await httpClient.PostAsync(url, JsonContent.Create(message, BatchJsonContext.Readable.CompletionMessage), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                ActivityLog.WebhookDelivered(logger, message.Id, (int)response.StatusCode);
            }
            else
            {
                ActivityLog.WebhookFailed(logger, message.Id, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or Polly.Timeout.TimeoutRejectedException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            ActivityLog.WebhookFailed(logger, message.Id, exception.GetType().Name);
        }
    }
}
