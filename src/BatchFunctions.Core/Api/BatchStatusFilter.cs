using System.Globalization;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Api;

/// <summary>
/// The <c>status</c> filter of <c>GET /api/batches</c>: a phase or an outcome by name (a name that is both,
/// such as Rejected, matches either). Read the same way by both hosts.
/// </summary>
/// <param name="Phase">The phase it names, if any.</param>
/// <param name="Outcome">The outcome it names, if any.</param>
public sealed record BatchStatusFilter(BatchPhase? Phase, BatchOutcome? Outcome)
{
    /// <summary>The filter in <paramref name="status"/> (null or empty: everything), or why it is not one.</summary>
    public static (BatchStatusFilter? Filter, string? Error) Parse(string? status)
    {
        if (string.IsNullOrEmpty(status))
        {
            return (new BatchStatusFilter(null, null), null);
        }

        BatchPhase? phase = null;
        BatchOutcome? outcome = null;
        if (!int.TryParse(status, CultureInfo.InvariantCulture, out _))
        {
            phase = Enum.TryParse<BatchPhase>(status, ignoreCase: true, out var p) ? p : null;
            outcome = Enum.TryParse<BatchOutcome>(status, ignoreCase: true, out var o) ? o : null;
        }

        return phase is null && outcome is null
            ? (null, $"status must be a phase ({string.Join(", ", Enum.GetNames<BatchPhase>())}) or an outcome ({string.Join(", ", Enum.GetNames<BatchOutcome>())}).")
            : (new BatchStatusFilter(phase, outcome), null);
    }

    /// <summary>Whether a batch in <paramref name="phase"/> with <paramref name="outcome"/> passes.</summary>
    public bool Matches(BatchPhase phase, BatchOutcome? outcome) =>
        (Phase is null && Outcome is null) || (Phase is not null && phase == Phase) || (Outcome is not null && outcome == Outcome);
}
