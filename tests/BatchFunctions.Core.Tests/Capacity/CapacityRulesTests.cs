using BatchFunctions.Core.Capacity;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Tests.Capacity;

public sealed class CapacityRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 8, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan WaiterLifetime = TimeSpan.FromMinutes(3);
    private static readonly WorkspacePending Nothing = new(0, new HashSet<(string, int)>(), Now);

    [Fact]
    public void Admit_FitsUnderTheLimit_GrantsAndCountsTheGrantUntilMistralListsItsJob()
    {
        var (ledger, first) = CapacityRules.Admit(CapacityLedger.Empty, Nothing, Ask("bf-a", 0, 600), 1000, Now, WaiterLifetime);
        var (_, second) = CapacityRules.Admit(ledger, Nothing, Ask("bf-b", 0, 600), 1000, Now, WaiterLifetime);

        Assert.True(first.Granted);
        Assert.False(second.Granted);
        Assert.Equal((600L, 200L), (second.Used, second.Ahead));
        Assert.StartsWith("Waiting for workspace capacity: 200 requests ahead (600 of 1,000 pending", second.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Admit_GrantedJobListedThenEnded_CountsItOnceThenFreesIt()
    {
        var (ledger, _) = CapacityRules.Admit(CapacityLedger.Empty, Nothing, Ask("bf-a", 0, 600), 1000, Now, WaiterLifetime);

        // Mistral lists the job with 500 requests left: counted by Mistral, not twice.
        var listed = new WorkspacePending(500, new HashSet<(string, int)> { ("bf-a", 0) }, Now);
        (ledger, var whileRunning) = CapacityRules.Admit(ledger, listed, Ask("bf-b", 0, 600), 1000, Now, WaiterLifetime);
        Assert.Equal((false, 500L), (whileRunning.Granted, whileRunning.Used));

        // The job ended: no longer listed, and its grant goes.
        (ledger, var afterwards) = CapacityRules.Admit(ledger, Nothing, Ask("bf-b", 0, 600), 1000, Now, WaiterLifetime);
        Assert.True(afterwards.Granted);
        Assert.Equal(["bf-b"], ledger.Grants.Select(g => g.Instance));
    }

    [Fact]
    public void Admit_JobCreatedAndEndedBetweenTwoListings_IsFreedByTheNextListingOnly()
    {
        var (ledger, _) = CapacityRules.Admit(CapacityLedger.Empty, Nothing, Ask("bf-a", 0, 900), 1000, Now, WaiterLifetime);
        ledger = CapacityRules.Created(ledger, "bf-a", 0, Now);

        // A listing begun as the job was made may miss it: the grant still counts. One begun well after frees it.
        var (_, during) = CapacityRules.Admit(ledger, Nothing with { ListedAt = Now.AddSeconds(1) }, Ask("bf-b", 0, 900), 1000, Now.AddSeconds(1), WaiterLifetime);
        var later = Now + CapacityRules.ListingMargin + TimeSpan.FromSeconds(1);
        var (_, after) = CapacityRules.Admit(ledger, Nothing with { ListedAt = later }, Ask("bf-b", 0, 900), 1000, later, WaiterLifetime);

        Assert.Equal((false, true), (during.Granted, after.Granted));
    }

    [Fact]
    public void Admit_GrantedJobQueuedWithoutACountForLong_GoesOnCountingIt()
    {
        var (ledger, _) = CapacityRules.Admit(CapacityLedger.Empty, Nothing, Ask("bf-a", 0, 600), 1000, Now, WaiterLifetime);

        // Mistral lists a queued job with total_requests 0: what it counts leaves it out, the grant does not.
        var queued = new WorkspacePending(0, new HashSet<(string, int)>(), Now, new HashSet<(string, int)> { ("bf-a", 0) });
        var later = Now + CapacityRules.UnseenGrantLifetime + TimeSpan.FromHours(1);
        (ledger, _) = CapacityRules.Admit(ledger, queued, Ask("bf-b", 0, 600), 1000, Now + CapacityRules.UnseenGrantLifetime, WaiterLifetime);
        var (_, admission) = CapacityRules.Admit(ledger, queued, Ask("bf-b", 0, 600), 1000, later, WaiterLifetime);

        Assert.Equal((false, 600L), (admission.Granted, admission.Used));
    }

    [Fact]
    public void Admit_WaitersOfSeveralPriorities_ServesHighThenFirstComeWithinOne()
    {
        var full = new WorkspacePending(1000, new HashSet<(string, int)>(), Now);
        var ledger = CapacityLedger.Empty;
        (ledger, _) = CapacityRules.Admit(ledger, full, Ask("bf-old-normal", 0, 100, since: Now.AddHours(-2)), 1000, Now, WaiterLifetime);
        (ledger, _) = CapacityRules.Admit(ledger, full, Ask("bf-low", 0, 100, BatchPriority.Low, Now.AddHours(-3)), 1000, Now, WaiterLifetime);
        (ledger, _) = CapacityRules.Admit(ledger, full, Ask("bf-new-normal", 0, 100, since: Now.AddHours(-1)), 1000, Now, WaiterLifetime);
        (ledger, var high) = CapacityRules.Admit(ledger, full, Ask("bf-high", 0, 100, BatchPriority.High, Now), 1000, Now, WaiterLifetime);

        Assert.Equal(["bf-high", "bf-old-normal", "bf-new-normal", "bf-low"], ledger.Waiters.Select(w => w.Instance));
        Assert.Equal(0, high.Position);

        // Room for one frees up: a later waiter asking first serves the head of the queue, not itself.
        var roomForOne = full with { Requests = 900 };
        (ledger, var jumped) = CapacityRules.Admit(ledger, roomForOne, Ask("bf-new-normal", 0, 100, since: Now.AddHours(-1)), 1000, Now, WaiterLifetime);
        (_, var head) = CapacityRules.Admit(ledger, roomForOne, Ask("bf-high", 0, 100, BatchPriority.High, Now), 1000, Now, WaiterLifetime);
        Assert.Equal((false, 1, true), (jumped.Granted, jumped.Position, head.Granted));
        Assert.Equal(["bf-old-normal", "bf-new-normal", "bf-low"], ledger.Waiters.Select(w => w.Instance));
    }

    [Fact]
    public void Admit_WaiterOfABatchThatStoppedAsking_LeavesTheQueue()
    {
        var full = new WorkspacePending(1000, new HashSet<(string, int)>(), Now);
        (var ledger, _) = CapacityRules.Admit(CapacityLedger.Empty, full, Ask("bf-gone", 0, 100, since: Now.AddHours(-1)), 1000, Now, WaiterLifetime);

        var (after, admission) = CapacityRules.Admit(ledger, Nothing, Ask("bf-b", 0, 100), 1000, Now + WaiterLifetime, WaiterLifetime);

        Assert.True(admission.Granted);
        Assert.Empty(after.Waiters);
    }

    [Fact]
    public void Admit_LargerThanTheLimitInAnEmptyWorkspace_IsGrantedRatherThanWaitingForever()
    {
        var (_, admission) = CapacityRules.Admit(CapacityLedger.Empty, Nothing, Ask("bf-big", 0, 5000), 1000, Now, WaiterLifetime);

        Assert.True(admission.Granted);
    }

    [Fact]
    public void Admit_AskedAgainOnceGranted_IsGrantedWithoutTakingMore()
    {
        var (ledger, _) = CapacityRules.Admit(CapacityLedger.Empty, Nothing, Ask("bf-a", 0, 600), 1000, Now, WaiterLifetime);

        var (again, admission) = CapacityRules.Admit(ledger, Nothing, Ask("bf-a", 0, 600), 1000, Now, WaiterLifetime);

        Assert.True(admission.Granted);
        Assert.Single(again.Grants);
    }

    [Fact]
    public void Admit_GrantWhoseJobNeverAppears_StopsCountingAfterItsLifetime()
    {
        var (ledger, _) = CapacityRules.Admit(CapacityLedger.Empty, Nothing, Ask("bf-a", 0, 900), 1000, Now, WaiterLifetime);

        var (_, soon) = CapacityRules.Admit(ledger, Nothing, Ask("bf-b", 0, 900), 1000, Now.AddMinutes(1), WaiterLifetime);
        var (_, later) = CapacityRules.Admit(ledger, Nothing, Ask("bf-b", 0, 900), 1000, Now + CapacityRules.UnseenGrantLifetime, WaiterLifetime);

        Assert.Equal((false, true), (soon.Granted, later.Granted));
    }

    private static CapacityRequest Ask(string instance, int part, long requests, BatchPriority priority = BatchPriority.Normal, DateTimeOffset? since = null) =>
        new(instance, part, requests, priority, since ?? Now);
}
