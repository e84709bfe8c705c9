using Microsoft.Extensions.Logging;

namespace BatchFunctions.Runner;

/// <summary>Log messages of the runner: ids and phases only.</summary>
internal static partial class RunnerLog
{
    [LoggerMessage(4001, LogLevel.Information, "Batch {InstanceId} {How} in phase {Phase}")]
    public static partial void Running(ILogger logger, string instanceId, string how, string phase);

    [LoggerMessage(4002, LogLevel.Information, "Batch {InstanceId} finished {Outcome}")]
    public static partial void Finished(ILogger logger, string instanceId, string outcome);
}
