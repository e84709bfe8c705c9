using Microsoft.Extensions.Logging;

namespace BatchFunctions.Core.Mistral;

/// <summary>Structured log messages of the Mistral client: ids, counts and statuses, never keys or content.</summary>
internal static partial class MistralLog
{
    [LoggerMessage(1001, LogLevel.Warning, "Mistral {Operation} failed with {Status} (type {ErrorType}, code {ErrorCode}, request {RequestId})")]
    public static partial void RequestFailed(ILogger logger, string operation, int status, string? errorType, string? errorCode, string? requestId);

    [LoggerMessage(1002, LogLevel.Warning, "Mistral {Operation} failed to reach the server: {ExceptionType}")]
    public static partial void TransportFailed(ILogger logger, string operation, string exceptionType);

    [LoggerMessage(1003, LogLevel.Information, "Retrying Mistral call {Path} after status {Status} {ExceptionType}, attempt {Attempt}, in {Delay}")]
    public static partial void Retrying(ILogger logger, string path, int status, string? exceptionType, int attempt, TimeSpan delay);

    [LoggerMessage(1007, LogLevel.Debug, "Mistral {Method} {Path} answered {Status} in {ElapsedMilliseconds} ms")]
    public static partial void RequestCompleted(ILogger logger, string method, string path, int status, long elapsedMilliseconds);

    [LoggerMessage(1004, LogLevel.Information, "Uploaded file {FileId} ({Bytes} bytes, {Lines} lines)")]
    public static partial void FileUploaded(ILogger logger, string fileId, long? bytes, long? lines);

    [LoggerMessage(1005, LogLevel.Information, "Created batch job {JobId} on {Endpoint}, status {Status}")]
    public static partial void BatchJobCreated(ILogger logger, string jobId, string endpoint, string status);

    [LoggerMessage(1006, LogLevel.Information, "Requested cancellation of batch job {JobId}, status {Status}")]
    public static partial void BatchJobCancelRequested(ILogger logger, string jobId, string status);
}
