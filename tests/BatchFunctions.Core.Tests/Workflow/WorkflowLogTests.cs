using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.Core.Tests.Workflow;

public sealed class WorkflowLogTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private static readonly BatchSource Source = new("acct", "batch-input", "in.jsonl", "\"0x1\"");

    [Fact]
    public void Finished_FailedBeforeAnyReport_SaysWhyWithoutPointingToAFile()
    {
        var logger = new LinesLogger();
        var state = BatchState.Start("bf-1", Source, Now) with { Phase = BatchPhase.Completed, Outcome = BatchOutcome.Failed, Failure = "Upload failed with 401: Unauthorized" };

        WorkflowLog.Finished(logger, "bf-1", Source, BatchStatus.From(state, Now));

        var line = Assert.Single(logger.Lines);
        Assert.Equal((LogLevel.Warning, "Batch bf-1 for batch-input/in.jsonl finished. Failed: Upload failed with 401: Unauthorized"), line);
        Assert.DoesNotContain("(null)", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finished_WithASummary_PointsToIt()
    {
        var logger = new LinesLogger();
        var state = BatchState.Start("bf-1", Source, Now) with { Phase = BatchPhase.Completed, Outcome = BatchOutcome.Succeeded };
        var status = BatchStatus.From(state, Now) with { Outputs = new BatchOutputs(Summary: "https://acct/out/summary.json") };

        WorkflowLog.Finished(logger, "bf-1", Source, status);

        Assert.EndsWith("; see https://acct/out/summary.json", Assert.Single(logger.Lines).Message, StringComparison.Ordinal);
    }

    /// <summary>Keeps each formatted line: the collaborator of a pure formatting unit.</summary>
    private sealed class LinesLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }
}
