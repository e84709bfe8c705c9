using Microsoft.Extensions.Logging;

namespace BatchFunctions.FunctionApp;

/// <summary>Log messages of the Function App: ids and statuses only.</summary>
internal static partial class OrchestratorLog
{

    [LoggerMessage(3002, LogLevel.Information, "Batch {InstanceId} started for {Container}/{Name}")]
    public static partial void Started(ILogger logger, string instanceId, string container, string name);

    [LoggerMessage(3003, LogLevel.Information, "Batch {InstanceId} already exists; nothing started")]
    public static partial void AlreadyStarted(ILogger logger, string instanceId);

    [LoggerMessage(3004, LogLevel.Information, "Blob {Name} ignored: not a .jsonl")]
    public static partial void Ignored(ILogger logger, string name);

    [LoggerMessage(3006, LogLevel.Error, "Request message {MessageId} moved to {PoisonQueue}: {Reason}")]
    public static partial void Poisoned(ILogger logger, string messageId, string poisonQueue, string reason);

    [LoggerMessage(3007, LogLevel.Warning, "Blob {Name} ignored: {Reason}")]
    public static partial void BlobIgnored(ILogger logger, string name, string reason);

    [LoggerMessage(3008, LogLevel.Warning, "Could not create the containers and queues ({Status} {Code}); in Azure the deployment creates them")]
    public static partial void StorageNotCreated(ILogger logger, int status, string? code);

    [LoggerMessage(3005, LogLevel.Warning, "Start request rejected: {Reason}")]
    public static partial void Rejected(ILogger logger, string reason);
}
