using System.Globalization;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Cli.Commands;

/// <summary>
/// Shows a batch's progress in words (<see cref="BatchStatus.Message"/>: requests done of total, or the
/// outcome), and the estimated time left. On a terminal one
/// line is rewritten in place; otherwise (a log, a pipe) a line is printed whenever the phase or count changes.
/// </summary>
internal sealed class ProgressDisplay(TextWriter output, TimeProvider timeProvider) : IProgress<BatchStatus>
{
    private readonly bool _live = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
    private string? _last;
    private int _width;

    public void Report(BatchStatus value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var eta = value.EstimatedCompletion is { } at && at > timeProvider.GetUtcNow() ? ", about " + Span(at - timeProvider.GetUtcNow()) + " left" : string.Empty;
        var text = "  " + value.Message + eta;
        if (_live)
        {
            output.Write("\r" + text.PadRight(_width));
            _width = text.Length;
            return;
        }

        if (value.Message != _last)
        {
            _last = value.Message;
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
