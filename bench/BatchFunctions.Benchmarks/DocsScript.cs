using System.Diagnostics;
using System.Text.Json;

namespace BatchFunctions.Benchmarks;

/// <summary>
/// The docs' hand-written flow (<c>docs-script.mjs</c>, the official Mistral TypeScript SDK) run by node against the
/// bench's emulator: the wall time the runner is compared with.
/// </summary>
internal static class DocsScript
{
    /// <summary>The script's path, or null when node or the pinned SDK is missing (the comparison is then skipped).</summary>
    public static string? Find(string repositoryRoot)
    {
        var script = Path.Combine(repositoryRoot, "bench", "BatchFunctions.Benchmarks", "docs-script.mjs");
        return File.Exists(script) && Directory.Exists(Path.Combine(repositoryRoot, "node_modules", "@mistralai", "mistralai")) ? script : null;
    }

    /// <summary>One run, timed from outside (node's start-up included, as a user would time it).</summary>
    public static async Task<DocsScriptResult?> RunAsync(string script, string input, string directory, Uri mistral)
    {
        var output = Path.Combine(directory, "docs-script-output.jsonl");
        var start = new ProcessStartInfo("node", [script, input, output]) { RedirectStandardOutput = true };
        start.Environment["MISTRAL_SERVER_URL"] = mistral.ToString().TrimEnd('/');
        start.Environment["MISTRAL_API_KEY"] = "bench";
        var clock = Stopwatch.StartNew();
        using var node = Process.Start(start)!;
        var report = await node.StandardOutput.ReadToEndAsync();
        await node.WaitForExitAsync();
        var total = clock.Elapsed.TotalSeconds;
        File.Delete(output);
        if (node.ExitCode != 0)
        {
            return null;
        }

        var parsed = JsonSerializer.Deserialize(report, BenchJsonContext.Default.DocsScriptReport)!;
        return new DocsScriptResult(total, parsed.Seconds);
    }
}

/// <summary>What <c>docs-script.mjs</c> prints.</summary>
internal sealed record DocsScriptReport(Dictionary<string, double> Seconds, int Polls);

/// <summary>The script's wall time and its own per-phase seconds.</summary>
internal sealed record DocsScriptResult(double Total, Dictionary<string, double> Seconds)
{
    public double Phase(string name) => Seconds.GetValueOrDefault(name);
}
