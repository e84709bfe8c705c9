using Azure;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Activities;

/// <summary>
/// The workflow's activities, host-agnostic and idempotent: every engine runs activities at least once, so
/// each one can run again after a crash and leave the same result (deterministic names, overwrites, and a
/// lookup of the job by its metadata before creating one). Runs a call with its activity, one class each,
/// and turns expected failures into data.
/// </summary>
public sealed partial class BatchActivities(
    ValidateInputActivity validate,
    RejectInputActivity reject,
    StagePartsActivity stage,
    UploadPartActivity upload,
    CreateJobActivity create,
    PollJobsActivity poll,
    CancelJobsActivity cancel,
    CollectPartActivity collect,
    FinalizeActivity finalize,
    IOptions<MistralClientOptions> mistral,
    ILogger<BatchActivities> logger)
{
    private readonly MistralBinding _host = MistralBinding.Of(mistral.Value);

    /// <summary>Runs any activity call; unexpected exceptions (bugs) propagate.</summary>
    public async Task<ActivityResult> ExecuteAsync(ActivityCall call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call is not (ValidateInputCall or RejectInputCall or StagePartsCall) && call.Mistral?.Mismatch(_host) is { } elsewhere)
        {
            // Another Mistral's batch: nothing is sent here, and the batch waits (its attempts unspent) for its own.
            ActivityLog.Failed(logger, call.Name, call.InstanceId, ActivityStatus.Waiting.ToString(), nameof(MistralBinding));
            return ActivityResult.Wait(call, elsewhere, TimeSpan.FromMinutes(1));
        }

        try
        {
            var result = call switch
            {
                ValidateInputCall c => await validate.RunAsync(c, cancellationToken),
                RejectInputCall c => await reject.RunAsync(c, cancellationToken),
                StagePartsCall c => await stage.RunAsync(c, cancellationToken),
                UploadPartCall c => await upload.RunAsync(c, cancellationToken),
                CreateJobCall c => await create.RunAsync(c, cancellationToken),
                PollJobsCall c => await poll.RunAsync(c, cancellationToken),
                CancelJobsCall c => await cancel.RunAsync(c, cancellationToken),
                CollectPartCall c => await collect.RunAsync(c, cancellationToken),
                FinalizeCall c => await finalize.RunAsync(c, cancellationToken),
                _ => throw new ArgumentException($"Unknown activity {call.GetType().Name}.", nameof(call)),
            };
            ActivityLog.Completed(logger, call.Name, call.InstanceId, result.Status.ToString());
            return result;
        }
        catch (Exception exception) when (Classify(call, exception) is { } expected)
        {
            ActivityLog.Failed(logger, call.Name, call.InstanceId, expected.Status.ToString(), exception.GetType().Name);
            return expected;
        }
    }

    /// <summary>
    /// Whether Mistral refused for a limit that frees up as other work ends: a 429, or a 4xx whose message names
    /// a limit or a quota (the workspace's pending requests). Such a refusal is a wait, never the batch's failure.
    /// </summary>
    private static bool IsLimit(MistralApiException exception) =>
        exception.Status == 429
        || (exception.Status is >= 400 and < 500 and not 401 and not 403 && LimitWords().IsMatch(exception.Message));

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(limits?|quotas?|too many requests|pending requests)\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex LimitWords();

    /// <summary>Expected failures as data; null for a bug, which propagates.</summary>
    private static ActivityResult? Classify(ActivityCall call, Exception exception) => exception switch
    {
        MistralApiException mistralError when call is CreateJobCall && IsLimit(mistralError) =>
            ActivityResult.Wait(call, $"Waiting: Mistral refused the job for a limit of the workspace ({mistralError.Message}); it is tried again as other work ends.", mistralError.RetryAfter),
        MistralApiException { IsTransient: true } mistralError => ActivityResult.Retry(call, mistralError.Message, mistralError.RetryAfter),
        MistralApiException mistralError => ActivityResult.Fail(call, mistralError.Message),
        RequestFailedException { Status: 412 } => ActivityResult.Fail(call, "The input blob changed after the batch started; a new upload is a new batch."),
        RequestFailedException { Status: 404 } storageError => ActivityResult.Fail(call, $"Storage: not found ({storageError.ErrorCode})."),
        RequestFailedException storageError when storageError.Status is 0 or 408 or 429 or >= 500 => ActivityResult.Retry(call, $"Storage: {storageError.Status} {storageError.ErrorCode}"),
        RequestFailedException storageError => ActivityResult.Fail(call, $"Storage: {storageError.Status} {storageError.ErrorCode}"),
        HttpRequestException or IOException or TimeoutException => ActivityResult.Retry(call, $"{exception.GetType().Name} while running {call.Name}"),
        _ => null,
    };
}
