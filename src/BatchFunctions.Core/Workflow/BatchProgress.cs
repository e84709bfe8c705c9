using System.Globalization;
using BatchFunctions.Core.Jsonl;

namespace BatchFunctions.Core.Workflow;

/// <summary>
/// A batch's progress and outcome in words, the same in the CLI, the status API and summary.json: counts as
/// they are, a percentage only of a batch that ran, and why it ended when it did not succeed.
/// </summary>
public static class BatchProgress
{
    /// <summary>The percentage of requests done, or null when nothing ran (rejected, or nothing counted yet).</summary>
    public static double? Percent(BatchPhase phase, BatchOutcome? outcome, long requests, long completed) =>
        requests == 0 || phase == BatchPhase.Rejected || outcome == BatchOutcome.Rejected
            ? null
            : Math.Round(100.0 * Math.Min(completed, requests) / requests, 1);

    /// <summary>One line: <c>Running: 2,962 of 20,000 done (15%)</c>, <c>Cancelled after 2,962 of 20,000</c>, <c>Rejected: 3 errors, first at line 50 ...</c>.</summary>
    public static string Describe(BatchPhase phase, BatchOutcome? outcome, long requests, long completed, long succeeded, long failed, string? failure, bool cancelRequested)
    {
        if (phase == BatchPhase.Rejected || (phase == BatchPhase.Completed && outcome == BatchOutcome.Rejected))
        {
            return "Rejected: " + (failure ?? "the input is invalid");
        }

        if (phase == BatchPhase.Completed)
        {
            return outcome switch
            {
                BatchOutcome.Succeeded when failed == 0 && succeeded == requests => Format($"Succeeded: all {requests:N0} requests"),
                BatchOutcome.Succeeded => Format($"Succeeded: {succeeded:N0} of {requests:N0} requests, {requests - succeeded:N0} failed (see errors.jsonl)"),
                BatchOutcome.Cancelled => Format($"Cancelled after {completed:N0} of {requests:N0}"),
                BatchOutcome.TimedOut => Format($"Timed out after {completed:N0} of {requests:N0}"),
                _ => failure is null ? Format($"Failed after {completed:N0} of {requests:N0}") : "Failed: " + failure,
            };
        }

        if (requests == 0)
        {
            return phase == BatchPhase.Validating ? "Validating the input" : phase.ToString();
        }

        var verb = cancelRequested ? "Cancelling" : phase switch
        {
            BatchPhase.Staging => "Staging",
            BatchPhase.Uploading => "Uploading",
            BatchPhase.Creating => "Creating jobs",
            BatchPhase.Polling => "Running",
            BatchPhase.Collecting => "Collecting results",
            BatchPhase.Finalizing => "Finalizing",
            _ => phase.ToString(),
        };
        var percent = Percent(phase, outcome, requests, completed) ?? 0;
        return Format($"{verb}: {completed:N0} of {requests:N0} done ({percent:0.#}%)");
    }

    /// <summary>
    /// How both hosts log the end of a batch: a warning when it did not succeed, the outcome in words (without
    /// a closing period, for the line it goes in), and the file that says most (rejection.json, else summary.json).
    /// </summary>
    public static (Microsoft.Extensions.Logging.LogLevel Level, string Message, string? Report) Ending(BatchStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var level = status.Outcome == BatchOutcome.Succeeded ? Microsoft.Extensions.Logging.LogLevel.Information : Microsoft.Extensions.Logging.LogLevel.Warning;
        return (level, status.Message.TrimEnd('.'), status.Outputs?.Rejection ?? status.Outputs?.Summary);
    }

    /// <summary>Why an input was refused: <c>3 errors, first at line 50 (body.messages): missing_field: ...</c>.</summary>
    public static string DescribeRejection(long errorCount, string? firstSettingError, JsonlIssue? firstIssue)
    {
        var count = Format($"{errorCount:N0} {(errorCount == 1 ? "error" : "errors")}");
        if (firstSettingError is not null)
        {
            return $"{count}, first: {firstSettingError}";
        }

        return firstIssue is null ? count : $"{count}, first{(firstIssue.Line == 0 ? ": " : " at ")}{firstIssue.Describe()}";
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
