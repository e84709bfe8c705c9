using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace BatchFunctions.Benchmarks;

/// <summary>Generates the inputs, starts one child process per measurement and prints the table.</summary>
internal static class BenchmarkRunner
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = Option(args, "--sizes", "100,1024").Split(',').Select(s => long.Parse(s, Invariant)).ToList();
        var operations = Option(args, "--ops", "validate,split,merge,polling").Split(',').ToHashSet(StringComparer.Ordinal);
        var mergeLines = long.Parse(Option(args, "--merge-lines", "1000000"), Invariant);
        var directory = Option(args, "--dir", Path.Combine(Path.GetTempPath(), "batchfunctions-bench"));
        Directory.CreateDirectory(directory);

        if (operations.Contains("e2e"))
        {
            var requests = Option(args, "--requests", "10000,100000").Split(',').Select(s => long.Parse(s, Invariant)).ToList();
            var hosts = Option(args, "--hosts", "runner,functionapp").Split(',');
            var failingEvery = int.Parse(Option(args, "--failing-every", "0"), Invariant);
            await EndToEnd.RunAsync(requests, directory, int.Parse(Option(args, "--rounds", "1"), Invariant), functionApp: hosts.Contains("functionapp"), failingEvery);
            operations.Remove("e2e");
            if (operations.Count == 0)
            {
                return 0;
            }
        }

        if (operations.Remove("many"))
        {
            // 100 files of 1k to 200k requests (about 3.7 million in all) against a limit of a million, by default.
            await ManyBatches.RunAsync(
                int.Parse(Option(args, "--files", "100"), Invariant),
                long.Parse(Option(args, "--min-requests", "1000"), Invariant),
                long.Parse(Option(args, "--max-requests", "200000"), Invariant),
                long.Parse(Option(args, "--pending-limit", "1000000"), Invariant),
                double.Parse(Option(args, "--job-speed", "50000"), Invariant),
                directory,
                Option(args, "--hosts", "runner,functionapp").Split(','));
            if (operations.Count == 0)
            {
                return 0;
            }
        }

        if (operations.SetEquals(["polling"]))
        {
            PollingFigures.Print(int.Parse(Option(args, "--polling-jobs", "2000"), Invariant));
            return 0;
        }

        Console.WriteLine($"BatchFunctions data-plane benchmarks ({Environment.ProcessorCount} cores available; each measurement in its own process, on one core unless it says otherwise)");
        Console.WriteLine($"{"operation",-10} {"input",-28} {"seconds",8} {"MB/s",8} {"lines/s",12} {"peak MB",8}");
        foreach (var megabytes in sizes)
        {
            var input = Path.Combine(directory, $"input-{megabytes}MB.jsonl");
            if (!File.Exists(input) || new FileInfo(input).Length < megabytes << 20)
            {
                Console.Error.WriteLine($"generating {input} ...");
                await SampleInput.WriteAsync(input, megabytes << 20);
            }

            if (operations.Contains("validate"))
            {
                await MeasureAsync("validate", $"{megabytes} MB chat input", oneCore: true, input);
            }

            if (operations.Contains("validate-cores"))
            {
                // The `batchfn validate` command itself (every core, its start-up included), next to `wc -l` on the
                // same file in the same run: best of three each, alternating, as this machine's neighbours make
                // single runs vary by a third.
                var seconds = double.PositiveInfinity;
                var wc = double.PositiveInfinity;
                for (var round = 1; round <= 3; round++)
                {
                    seconds = Math.Min(seconds, await TimeBatchfnValidateAsync(input));
                    wc = Math.Min(wc, await EndToEnd.TimeWcAsync(input));
                }

                Console.WriteLine(string.Create(Invariant, $"{"batchfn validate",-16} {megabytes + " MB, best of 3",-22} {seconds,8:F2} {new FileInfo(input).Length / seconds / 1e6,8:F0}"));
                Console.WriteLine(string.Create(Invariant, $"{"wc -l",-16} {megabytes + " MB, best of 3",-22} {wc,8:F2}   batchfn validate / wc -l = {seconds / wc:F1}x"));
            }

            if (operations.Contains("split"))
            {
                await MeasureAsync("split", $"{megabytes} MB chat input", oneCore: true, input, Path.Combine(directory, "parts"));
            }
        }

        if (operations.Contains("merge"))
        {
            var prefix = Path.Combine(directory, $"merge-{mergeLines}");
            if (!File.Exists(prefix + ".done"))
            {
                Console.Error.WriteLine($"generating {mergeLines:N0} results in shuffled order ...");
                await SampleResults.WriteAsync(prefix, mergeLines);
                await File.WriteAllTextAsync(prefix + ".done", "ok");
            }

            await MeasureAsync("merge", $"{mergeLines:N0} result lines", oneCore: true, prefix);
        }

        if (operations.Contains("polling"))
        {
            PollingFigures.Print(int.Parse(Option(args, "--polling-jobs", "2000"), Invariant));
        }

        return 0;
    }

    /// <summary>Runs one measurement in a child process (on one core, or on every core) and prints it; answers its seconds.</summary>
    private static async Task<double> MeasureAsync(string operation, string label, bool oneCore, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (!Environment.ProcessPath!.EndsWith("BatchFunctions.Benchmarks", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(typeof(BenchmarkRunner).Assembly.Location);
        }

        start.ArgumentList.Add("measure");
        start.ArgumentList.Add(operation);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (oneCore)
        {
            start.Environment["DOTNET_PROCESSOR_COUNT"] = "1";
        }
        else
        {
            start.Environment[Measurement.AllCoresVariable] = "1";
        }

        start.Environment["DOTNET_gcServer"] = "0";
        using var child = Process.Start(start)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        if (child.ExitCode != 0)
        {
            Console.WriteLine($"{operation,-10} {label,-28} failed (exit {child.ExitCode})");
            return double.NaN;
        }

        var result = JsonSerializer.Deserialize(output, BenchJsonContext.Default.MeasurementResult)!;
        Console.WriteLine(string.Create(Invariant, $"{operation,-10} {label,-28} {result.Seconds,8:F2} {result.Bytes / result.Seconds / 1e6,8:F0} {result.Lines / result.Seconds,12:N0} {result.PeakBytes / 1e6,8:F0}"));
        return result.Seconds;
    }

    /// <summary>Wall seconds of <c>batchfn validate</c> on <paramref name="input"/>, as a user runs it (the build this benchmark was built with).</summary>
    private static async Task<double> TimeBatchfnValidateAsync(string input)
    {
        // The CLI is built beside this benchmark (a build-only reference): bench/X/bin/<configuration>/<tfm>/ -> src/BatchFunctions.Cli/bin/<configuration>/<tfm>/.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var root = output.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var cli = Path.Combine(root, "src", "BatchFunctions.Cli", "bin", output.Parent.Name, output.Name, "batchfn.dll");
        var clock = Stopwatch.StartNew();
        using var child = Process.Start(new ProcessStartInfo("dotnet", [cli, "validate", input]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var report = child.StandardOutput.ReadToEndAsync();
        var errors = await child.StandardError.ReadToEndAsync();
        await report;
        await child.WaitForExitAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"batchfn validate exited with {child.ExitCode}: {errors}");
        }

        return seconds;
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
