using Azure;
using Azure.Storage.Queues;

namespace BatchFunctions.Core.Api;

/// <summary>
/// A <c>batch-requests</c> message, handled alike by both hosts: decoded, resolved to its input, and its batch
/// started through the host; a message that can never start one (not a request, invalid, naming a blob that
/// is not there) is set aside in the poison queue wrapped with the reason. A passing failure throws, for the
/// host's own retry of the message.
/// </summary>
public sealed class StartMessageHandler(BatchSubmitter submitter, TimeProvider timeProvider)
{
    /// <summary>Starts the batch <paramref name="text"/> asks for through <paramref name="host"/>; answers why it never can, or null once started (or found).</summary>
    public async Task<string?> StartAsync(string text, IBatchInstances host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (StartRequestMessage.Decode(text) is not { } request)
        {
            return StartRequestMessage.NotAStartRequest;
        }

        var (source, errors) = await submitter.ResolveAsync(request, RequestOrigin.QueueMessage, cancellationToken);
        if (source is null)
        {
            // Invalid, or naming a blob that is not there: no retry can change that.
            return string.Join(" ", errors);
        }

        await host.StartAsync(source, cancellationToken);
        return null;
    }

    /// <summary>Sets <paramref name="text"/> aside in <paramref name="poison"/> with <paramref name="reason"/> (creating the queue when it is missing).</summary>
    public async Task PoisonAsync(QueueClient poison, string text, string reason, long attempts, string messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poison);
        var wrapped = StartRequestMessage.Wrap(text, reason, attempts, messageId, timeProvider.GetUtcNow());
        try
        {
            await poison.SendMessageAsync(wrapped, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await poison.SendMessageAsync(wrapped, cancellationToken);
        }
    }
}
