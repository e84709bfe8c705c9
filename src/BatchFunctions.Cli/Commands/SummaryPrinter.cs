using System.Globalization;
using System.Text.Json;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Cli.Commands;

/// <summary>
/// Prints how a batch ended: outcome, counts, tokens (from its summary.json when at hand) and where its files
/// are: the local copies just downloaded (the storage that holds them may be gone once the command ends,
/// as the demo's Azurite is), else their blob URIs.
/// </summary>
internal static class SummaryPrinter
{
    public static async Task PrintAsync(BatchStatus status, IReadOnlyList<string> downloaded, TextWriter output)
    {
        var summaryPath = downloaded.FirstOrDefault(f => f.EndsWith("summary.json", StringComparison.Ordinal));
        await output.WriteLineAsync();
        await output.WriteLineAsync($"Batch {status.Id}: {status.Message}");
        if (status.Failure is { } failure && !status.Message.Contains(failure, StringComparison.Ordinal))
        {
            await output.WriteLineAsync($"  {failure}");
        }

        if (summaryPath is not null && File.Exists(summaryPath))
        {
            await using var summary = File.OpenRead(summaryPath);
            using var document = await JsonDocument.ParseAsync(summary);
            if (document.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                await output.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  requests {usage.GetProperty("requests").GetInt64()}: succeeded {usage.GetProperty("succeeded").GetInt64()}, failed {usage.GetProperty("failed").GetInt64()}, missing {usage.GetProperty("missing").GetInt64()}, not processed {(usage.TryGetProperty("not_processed", out var notProcessed) ? notProcessed.GetInt64() : 0)}; tokens {usage.GetProperty("total_tokens").GetInt64()}"));
            }
        }
        else
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  requests {status.Requests}: succeeded {status.Succeeded}, failed {status.Failed}"));
        }

        if (downloaded.Count > 0)
        {
            foreach (var path in downloaded)
            {
                await output.WriteLineAsync($"  {Path.GetFileNameWithoutExtension(path),-9} {path}");
            }

            return;
        }

        foreach (var (label, uri) in new[] { ("results", status.Outputs?.Results), ("errors", status.Outputs?.Errors), ("summary", status.Outputs?.Summary), ("rejection", status.Outputs?.Rejection) })
        {
            if (uri is not null)
            {
                await output.WriteLineAsync($"  {label,-9} {uri}");
            }
        }
    }
}
