using BatchFunctions.Cli.Commands;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Time.Testing;

namespace BatchFunctions.Core.Tests.Cli;

public sealed class ProgressDisplayTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Report_ToAPipe_PrintsALineOnlyWhenPhaseOrCountChanges()
    {
        using var output = new StringWriter();
        var display = new ProgressDisplay(output, new FakeTimeProvider(Now));

        display.Report(Status(BatchPhase.Polling, 0, null));
        display.Report(Status(BatchPhase.Polling, 0, null));
        display.Report(Status(BatchPhase.Polling, 40, Now.AddMinutes(3).AddSeconds(5)));
        display.Report(Status(BatchPhase.Completed, 100, null));

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal("  Running: 40 of 100 done (40%), about 3m 05s left", lines[1]);
        Assert.Equal("  Succeeded: all 100 requests", lines[2]);
    }

    [Fact]
    public void Report_EstimateHoursAway_ShowsHoursAndMinutes()
    {
        using var output = new StringWriter();

        new ProgressDisplay(output, new FakeTimeProvider(Now)).Report(Status(BatchPhase.Polling, 1, Now.AddHours(26).AddMinutes(7)));

        Assert.EndsWith("about 26h 07m left", output.ToString().TrimEnd(), StringComparison.Ordinal);
    }

    private static BatchStatus Status(BatchPhase phase, long completed, DateTimeOffset? eta)
    {
        var outcome = phase == BatchPhase.Completed ? BatchOutcome.Succeeded : (BatchOutcome?)null;
        return new("bf-x", phase, outcome, "in", "a.jsonl", 100, completed, completed, 0, completed, BatchProgress.Describe(phase, outcome, 100, completed, completed, 0, null, false), eta, [], null, null, null, false, Now, null);
    }
}
