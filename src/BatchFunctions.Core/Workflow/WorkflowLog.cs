using Microsoft.Extensions.Logging;

namespace BatchFunctions.Core.Workflow;

/// <summary>Log messages of the workflow that both hosts write the same way: ids, names and counts only.</summary>
public static partial class WorkflowLog
{
    /// <summary>The line a batch ends with: its outcome in words and, when it wrote one, the file to read next.</summary>
    public static void Finished(ILogger logger, string instanceId, BatchSource source, BatchStatus status)
    {
        ArgumentNullException.ThrowIfNull(source);
        var (level, message, report) = BatchProgress.Ending(status);
        if (report is null)
        {
            // A batch that failed before it wrote a summary (a refused key, an unreachable Mistral) has no file to point to.
            FinishedWithoutReport(logger, level, instanceId, source.Container, source.Name, message);
        }
        else
        {
            FinishedWithReport(logger, level, instanceId, source.Container, source.Name, message, report);
        }
    }

    /// <summary>A step of a batch begins to wait without spending its attempts; <paramref name="reason"/> holds ids, counts and Mistral's message, never content.</summary>
    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Batch {InstanceId} waits at {Step}: {Reason}")]
    public static partial void Waiting(ILogger logger, string instanceId, string step, string reason);

    [LoggerMessage(EventId = 3001, Message = "Batch {InstanceId} for {Container}/{Name} finished. {Message}; see {Report}")]
    private static partial void FinishedWithReport(ILogger logger, LogLevel level, string instanceId, string container, string name, string message, string report);

    [LoggerMessage(EventId = 3010, Message = "Batch {InstanceId} for {Container}/{Name} finished. {Message}")]
    private static partial void FinishedWithoutReport(ILogger logger, LogLevel level, string instanceId, string container, string name, string message);
}
