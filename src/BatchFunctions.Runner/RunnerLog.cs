using Microsoft.Extensions.Logging;

namespace BatchFunctions.Runner;

/// <summary>Log messages of the runner: ids, names, phases and counts only.</summary>
internal static partial class RunnerLog
{
    /// <summary>Whether <paramref name="exception"/> says storage did not answer at all (not an error it answered with).</summary>
    public static bool IsUnreachable(Exception exception) =>
        exception is AggregateException { InnerExceptions: var inner } ? inner.All(IsUnreachable) : exception is Azure.RequestFailedException { Status: 0 } or HttpRequestException;

    [LoggerMessage(4001, LogLevel.Information, "Batch {InstanceId} {How}")]
    public static partial void Start(ILogger logger, string instanceId, string how);


    [LoggerMessage(4003, LogLevel.Error, "Stepping batch {InstanceId} failed (attempt {Attempt}); retrying after {Delay}")]
    public static partial void StepFailed(ILogger logger, Exception exception, string instanceId, int attempt, TimeSpan delay);

    [LoggerMessage(4004, LogLevel.Error, "The scheduler's scan failed")]
    public static partial void ScanFailed(ILogger logger, Exception exception);

    [LoggerMessage(4007, LogLevel.Error, "Azure Storage at {Endpoint} cannot be reached; trying again (start Azurite, or check BATCHFN_STORAGE or Storage__ConnectionString)")]
    public static partial void StorageUnreachable(ILogger logger, Uri endpoint);

    [LoggerMessage(4005, LogLevel.Information, "Batch {InstanceId} expired after its retention")]
    public static partial void Expired(ILogger logger, string instanceId);

    [LoggerMessage(4006, LogLevel.Warning, "Lost the lease of batch {InstanceId}; another runner may step it")]
    public static partial void LeaseLost(ILogger logger, string instanceId);

    [LoggerMessage(4010, LogLevel.Information, "Input {Container}/{Name} seen: batch {InstanceId} {How}")]
    public static partial void InputSeen(ILogger logger, string container, string name, string instanceId, string how);

    [LoggerMessage(4012, LogLevel.Warning, "Input {Container}/{Name} ignored: {Reason}")]
    public static partial void InputIgnored(ILogger logger, string container, string name, string reason);

    [LoggerMessage(4011, LogLevel.Error, "Listing {Container} failed; new inputs there are not seen until it works again (on Azurite, a blob name with a control character breaks the listing: remove that blob). Starts by HTTP, queue and events go on")]
    public static partial void WatchFailed(ILogger logger, Exception exception, string container);

    [LoggerMessage(4014, LogLevel.Information, "Listing {Container} works again")]
    public static partial void WatchRecovered(ILogger logger, string container);

    [LoggerMessage(4020, LogLevel.Warning, "Request message {MessageId} failed (attempt {Attempt}): {Reason}")]
    public static partial void MessageFailed(ILogger logger, string messageId, long attempt, string reason);

    [LoggerMessage(4021, LogLevel.Error, "Request message {MessageId} moved to {PoisonQueue} after {Attempt} attempts: {Reason}")]
    public static partial void MessagePoisoned(ILogger logger, string messageId, string poisonQueue, long attempt, string reason);

    [LoggerMessage(4022, LogLevel.Error, "Listening to the requests queue failed")]
    public static partial void ListenFailed(ILogger logger, Exception exception);

    [LoggerMessage(4030, LogLevel.Information, "Event {EventId} ({EventType}) ignored: {Reason}")]
    public static partial void EventIgnored(ILogger logger, string eventId, string eventType, string reason);

    [LoggerMessage(4031, LogLevel.Information, "Event Grid subscription validated")]
    public static partial void SubscriptionValidated(ILogger logger);
}
