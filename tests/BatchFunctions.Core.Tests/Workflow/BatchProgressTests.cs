using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Tests.Workflow;

public sealed class BatchProgressTests
{
    [Theory]
    [InlineData(BatchPhase.Completed, BatchOutcome.Cancelled, 20000, 2962, 2962, 0, null, "Cancelled after 2,962 of 20,000")]
    [InlineData(BatchPhase.Completed, BatchOutcome.TimedOut, 10, 4, 4, 0, null, "Timed out after 4 of 10")]
    [InlineData(BatchPhase.Completed, BatchOutcome.Failed, 10, 0, 0, 0, "unknown model 'nope-latest'", "Failed: unknown model 'nope-latest'")]
    [InlineData(BatchPhase.Completed, BatchOutcome.Succeeded, 5000, 5000, 5000, 0, null, "Succeeded: all 5,000 requests")]
    [InlineData(BatchPhase.Completed, BatchOutcome.Succeeded, 5000, 5000, 4990, 10, null, "Succeeded: 4,990 of 5,000 requests, 10 failed (see errors.jsonl)")]
    [InlineData(BatchPhase.Completed, BatchOutcome.Rejected, 0, 0, 0, 0, "3 errors, first at line 50", "Rejected: 3 errors, first at line 50")]
    [InlineData(BatchPhase.Polling, null, 20000, 2962, 2962, 0, null, "Running: 2,962 of 20,000 done (14.8%)")]
    [InlineData(BatchPhase.Validating, null, 0, 0, 0, 0, null, "Validating the input")]
    public void Describe_EachPhaseAndOutcome_SaysWhatHappenedWithTheRealCounts(BatchPhase phase, BatchOutcome? outcome, long requests, long completed, long succeeded, long failed, string? failure, string expected)
    {
        Assert.Equal(expected, BatchProgress.Describe(phase, outcome, requests, completed, succeeded, failed, failure, cancelRequested: false));
    }

    [Fact]
    public void Describe_CancelRequestedWhileRunning_SaysCancelling()
    {
        Assert.Equal("Cancelling: 3 of 10 done (30%)", BatchProgress.Describe(BatchPhase.Polling, null, 10, 3, 3, 0, null, cancelRequested: true));
    }

    [Theory]
    [InlineData(BatchPhase.Completed, BatchOutcome.Rejected, 10, 0, null)]
    [InlineData(BatchPhase.Completed, BatchOutcome.Failed, 0, 0, null)]
    [InlineData(BatchPhase.Completed, BatchOutcome.Cancelled, 20000, 2962, 14.8)]
    [InlineData(BatchPhase.Completed, BatchOutcome.Failed, 10, 0, 0.0)]
    public void Percent_OnlyOfABatchThatRan_NeverForcedTo100(BatchPhase phase, BatchOutcome outcome, long requests, long completed, double? expected)
    {
        Assert.Equal(expected, BatchProgress.Percent(phase, outcome, requests, completed));
    }

    [Fact]
    public void DescribeRejection_LineError_NamesTheCountTheLineAndTheField()
    {
        var text = BatchProgress.DescribeRejection(3, null, new JsonlIssue(50, "body.messages", "missing_field", "body.messages is required."));

        Assert.Equal("3 errors, first at line 50 (body.messages): missing_field: body.messages is required.", text);
    }

    [Theory]
    [InlineData("SUCCESS", BatchOutcome.Cancelled, "missing_result")]
    [InlineData("CANCELLED", BatchOutcome.Cancelled, "cancelled")]
    [InlineData(null, BatchOutcome.Cancelled, "cancelled")]
    [InlineData("CANCELLED", BatchOutcome.TimedOut, "timed_out")]
    [InlineData("TIMEOUT_EXCEEDED", BatchOutcome.Failed, "timed_out")]
    [InlineData("FAILED", BatchOutcome.Failed, "job_failed")]
    [InlineData(null, BatchOutcome.Failed, "job_failed")]
    public void UnansweredReason_For_JobStatusAndOutcome_PicksTheCode(string? jobStatus, BatchOutcome outcome, string code)
    {
        Assert.Equal(code, UnansweredReason.For(jobStatus, outcome).Code);
    }
}
