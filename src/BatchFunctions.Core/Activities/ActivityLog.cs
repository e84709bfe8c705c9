using Microsoft.Extensions.Logging;

namespace BatchFunctions.Core.Activities;

/// <summary>Structured log messages of the activities: ids and statuses, never content.</summary>
internal static partial class ActivityLog
{
    [LoggerMessage(2001, LogLevel.Information, "Activity {Activity} for batch {InstanceId} ended {Status}")]
    public static partial void Completed(ILogger logger, string activity, string instanceId, string status);

    [LoggerMessage(2002, LogLevel.Warning, "Activity {Activity} for batch {InstanceId} ended {Status} after {ExceptionType}")]
    public static partial void Failed(ILogger logger, string activity, string instanceId, string status, string exceptionType);

    [LoggerMessage(2003, LogLevel.Information, "Reusing job {JobId} already created for batch {InstanceId} part {Part}")]
    public static partial void JobReused(ILogger logger, string jobId, string instanceId, int part);

    [LoggerMessage(2004, LogLevel.Warning, "Input of batch {InstanceId} was not deleted after archiving (status {Status}): it changed or is gone")]
    public static partial void InputNotDeleted(ILogger logger, string instanceId, int status);

    [LoggerMessage(2005, LogLevel.Information, "Completion of batch {InstanceId} delivered to the webhook ({Status})")]
    public static partial void WebhookDelivered(ILogger logger, string instanceId, int status);

    [LoggerMessage(2006, LogLevel.Warning, "Completion of batch {InstanceId} not delivered to the webhook after its retries ({Reason}); the completion queue has it")]
    public static partial void WebhookFailed(ILogger logger, string instanceId, string reason);

    [LoggerMessage(2007, LogLevel.Information, "Completion event of batch {InstanceId} published to the Event Grid topic")]
    public static partial void EventPublished(ILogger logger, string instanceId);

    [LoggerMessage(2008, LogLevel.Warning, "Completion event of batch {InstanceId} not published to the Event Grid topic after its retries ({Reason}); the completion queue has it")]
    public static partial void EventFailed(ILogger logger, string instanceId, string reason);

    [LoggerMessage(2009, LogLevel.Warning, "Parts of batch {InstanceId} joined through the process: the storage service refused to join them ({Status} {ErrorCode})")]
    public static partial void JoinedThroughProcess(ILogger logger, string instanceId, int status, string? errorCode);
}
