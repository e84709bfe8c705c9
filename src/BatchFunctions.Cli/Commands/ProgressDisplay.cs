using System.Globalization;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Cli.Commands;

/// <summary>
/// Shows a batch's progress: phase, requests done of total, and the estimated time left. On a terminal one
/// line is rewritten in place; otherwise (a log, a pipe) a line is printed whenever the phase or count changes.
/// </summary>
internal sealed class ProgressDisplay(TextWriter output, TimeProvider timeProvider) : IProgress<BatchStatus>
{
    private readonly bool _live = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
    private (BatchPhase, long) _last = (BatchPhase.Completed, -1);
    private int _width;

    public void Report(BatchStatus value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var eta = value.EstimatedCompletion is { } at && at > timeProvider.GetUtcNow() ? ", about " + Span(at - timeProvider.GetUtcNow()) + " left" : string.Empty;
        // Until validation has counted the requests there is nothing to count.
        var text = value.Requests == 0 && value.Phase != BatchPhase.Completed
            ? $"  {value.Phase}"
            : string.Create(CultureInfo.InvariantCulture, $"  {value.Phase,-11} {value.Completed}/{value.Requests} requests ({value.PercentDone:F0}%){eta}");
        if (_live)
        {
            output.Write("\r" + text.PadRight(_width));
            _width = text.Length;
            return;
        }

        if ((value.Phase, value.Completed) != _last)
        {
            _last = (value.Phase, value.Completed);
            output.WriteLine(text);
        }
    }

    /// <summary>Ends the live line, if there is one.</summary>
    public void Complete()
    {
        if (_live && _width > 0)
        {
            output.WriteLine();
            _width = 0;
        }
    }

    private static string Span(TimeSpan span) => span.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h {span.Minutes:D2}m")
        : span.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m {span.Seconds:D2}s") : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (int)span.TotalSeconds)}s");
}
