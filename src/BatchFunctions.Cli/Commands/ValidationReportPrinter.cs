using System.Globalization;
using BatchFunctions.Core.Jsonl;

namespace BatchFunctions.Cli.Commands;

/// <summary>Prints a validation report for people: verdict, counts, then each issue with line, field and code.</summary>
internal static class ValidationReportPrinter
{
    public static async Task PrintAsync(TextWriter output, string name, JsonlValidationOptions options, JsonlValidationReport report)
    {
        var culture = CultureInfo.InvariantCulture;
        await output.WriteLineAsync(string.Create(culture, $"{name}: {(report.IsValid ? "valid" : "INVALID")}"));
        await output.WriteLineAsync(string.Create(culture, $"  {report.Requests:N0} requests, {report.Lines:N0} lines, {Size(report.Bytes)}; endpoint checks: {options.Endpoint?.Value ?? "none (use --endpoint)"}"));
        await output.WriteLineAsync(string.Create(culture, $"  {report.ErrorCount:N0} errors, {report.WarningCount:N0} warnings"));
        await PrintIssuesAsync(output, name, "error", report.Errors, report.ErrorCount);
        await PrintIssuesAsync(output, name, "warning", report.Warnings, report.WarningCount);
    }

    private static async Task PrintIssuesAsync(TextWriter output, string name, string kind, IReadOnlyList<JsonlIssue> issues, long total)
    {
        foreach (var issue in issues)
        {
            // file:LINE: as compilers print it, so that editors and grep can jump to the line.
            var where = issue.Line == 0 ? $"{name}:" : string.Create(CultureInfo.InvariantCulture, $"{name}:{issue.Line}:");
            await output.WriteLineAsync($"{where} {kind}: {issue.Code}: {(issue.Field is null ? string.Empty : issue.Field + ": ")}{issue.Message}");
        }

        if (total > issues.Count)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  ... and {total - issues.Count:N0} more {kind}s not shown (--max-issues)"));
        }
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F2} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };
}
