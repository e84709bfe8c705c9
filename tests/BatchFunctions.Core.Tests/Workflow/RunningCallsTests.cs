using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Tests.Workflow;

public sealed class RunningCallsTests
{
    private static readonly BatchSource Source = new("acct", "batch-input", "in.jsonl", "\"0x1\"");

    [Fact]
    public void StartNew_CallAlreadyRunning_IsNotStartedTwice()
    {
        var running = new RunningCalls();
        var started = new List<string>();
        var pending = new TaskCompletionSource<ActivityResult>();

        running.StartNew(new RunActivities([Upload(0), Upload(1)]), Start(started, pending.Task));
        running.StartNew(new RunActivities([Upload(1), Upload(2)]), Start(started, pending.Task));

        Assert.Equal(["UploadPart:0", "UploadPart:1", "UploadPart:2"], started);
        Assert.Equal(3, running.Count);
    }

    [Fact]
    public void StartNew_FinalizeWhileOthersRun_WaitsUntilNothingRuns()
    {
        var running = new RunningCalls();
        var started = new List<string>();
        var upload = new TaskCompletionSource<ActivityResult>();
        running.StartNew(new RunActivities([Upload(0)]), Start(started, upload.Task));
        var finalize = new RunActivities([new FinalizeCall("id", BatchState.Start("id", Source, DateTimeOffset.UnixEpoch), BatchOutcome.Cancelled, null)]);

        running.StartNew(finalize, Start(started, Task.FromResult(ActivityResult.Fail(Upload(0), "unused"))));
        upload.SetResult(ActivityResult.Success(Upload(0), new UploadedPayload("file-0")));
        var results = running.TakeCompleted();
        running.StartNew(finalize, Start(started, new TaskCompletionSource<ActivityResult>().Task));

        Assert.Equal(["UploadPart:0", "FinalizeBatch"], started);
        Assert.Equal("UploadPart:0", Assert.Single(results).Call.StepKey);
        Assert.Equal(1, running.Count);
    }

    [Fact]
    public void TakeCompleted_SomeEnded_GivesThoseInStartOrderAndKeepsTheRest()
    {
        var running = new RunningCalls();
        var results = Enumerable.Range(0, 3).Select(_ => new TaskCompletionSource<ActivityResult>()).ToList();
        var next = 0;
        running.StartNew(new RunActivities([Upload(0), Upload(1), Upload(2)]), _ => results[next++].Task);

        results[2].SetResult(ActivityResult.Success(Upload(2), new UploadedPayload("file-2")));
        results[0].SetResult(ActivityResult.Success(Upload(0), new UploadedPayload("file-0")));
        var taken = running.TakeCompleted();

        Assert.Equal(["UploadPart:0", "UploadPart:2"], taken.Select(r => r.Call.StepKey));
        Assert.Equal(1, running.Count);
        Assert.Empty(running.TakeCompleted());
    }

    private static UploadPartCall Upload(int index) => new("id", index, "batch-input", "in.jsonl");

    private static Func<ActivityCall, Task<ActivityResult>> Start(List<string> started, Task<ActivityResult> result) => call =>
    {
        started.Add(call.StepKey);
        return result;
    };
}
