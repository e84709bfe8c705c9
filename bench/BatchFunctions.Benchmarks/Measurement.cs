using System.Diagnostics;
using System.Text.Json;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Mistral;

namespace BatchFunctions.Benchmarks;

/// <summary>One measurement, run in a child process pinned to one core (unless asked for all); prints its figures as JSON.</summary>
internal static class Measurement
{
    /// <summary>Set to 1 for a measurement on every core, as <c>batchfn validate</c> runs.</summary>
    public const string AllCoresVariable = "BATCHFN_BENCH_ALL_CORES";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["e2e", var name, var etag, var storage, var mistral])
        {
            // All cores, as a runner has them: the figures are wall times of the whole workflow.
            return await EndToEnd.MeasureAsync(name, etag, storage, mistral);
        }

        if (args is ["e2e-functionapp", var appName, var appEtag, var appStorage, var appMistral])
        {
            return await FunctionAppEndToEnd.MeasureAsync(appName, appEtag, appStorage, appMistral);
        }

        if (args is ["many-runner", var manifest, var manyStorage, var manyMistral, var limit])
        {
            return await ManyBatches.MeasureRunnerAsync(manifest, manyStorage, manyMistral, long.Parse(limit, System.Globalization.CultureInfo.InvariantCulture));
        }

        if (args is ["many-functionapp", var appManifest, var appManyStorage, var appManyMistral, var appLimit])
        {
            return await ManyBatches.MeasureFunctionAppAsync(appManifest, appManyStorage, appManyMistral, long.Parse(appLimit, System.Globalization.CultureInfo.InvariantCulture));
        }

        if ((OperatingSystem.IsLinux() || OperatingSystem.IsWindows()) && Environment.GetEnvironmentVariable(AllCoresVariable) != "1")
        {
            Process.GetCurrentProcess().ProcessorAffinity = 1;
        }

        var stopwatch = Stopwatch.StartNew();
        var (bytes, lines) = args switch
        {
            ["validate", var input] => await ValidateAsync(input),
            ["split", var input, var directory] => await SplitAsync(input, directory),
            ["merge", var prefix] => await MergeAsync(prefix),
            _ => throw new ArgumentException("measure validate <file> | split <file> <dir> | merge <prefix>"),
        };
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var result = new MeasurementResult(bytes, lines, seconds, PeakResidentBytes());
        Console.WriteLine(JsonSerializer.Serialize(result, BenchJsonContext.Default.MeasurementResult));
        return 0;
    }

    private static async Task<(long Bytes, long Lines)> ValidateAsync(string input)
    {
        await using var stream = Open(input);
        // As `batchfn validate` calls it: the file's length sizes the custom_id table up front.
        var report = await JsonlValidator.ValidateAsync(stream, new JsonlValidationOptions { Endpoint = ApiEndpoint.ChatCompletions, Model = "mistral-small-latest", ExpectedBytes = stream.Length });
        if (!report.IsValid)
        {
            throw new InvalidDataException($"generated input invalid: {report.Errors[0]}");
        }

        return (report.Bytes, report.Requests);
    }

    private static async Task<(long Bytes, long Lines)> SplitAsync(string input, string directory)
    {
        Directory.CreateDirectory(directory);
        await using var stream = Open(input);
        var parts = await JsonlSplitter.SplitAsync(
            stream,
            (index, _) => Task.FromResult<Stream>(new FileStream(Path.Combine(directory, $"part-{index:D4}.jsonl"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20)));
        foreach (var file in Directory.GetFiles(directory))
        {
            File.Delete(file);
        }

        return (parts.Sum(p => p.Bytes), parts.Sum(p => p.Lines));
    }

    private static async Task<(long Bytes, long Lines)> MergeAsync(string prefix)
    {
        var parts = Directory.GetFiles(Path.GetDirectoryName(prefix)!, Path.GetFileName(prefix) + "-input-*.jsonl").Order(StringComparer.Ordinal).Select(input =>
        {
            var output = input.Replace("-input-", "-output-", StringComparison.Ordinal);
            return new JsonlMergePart(_ => Task.FromResult<Stream>(Open(input)), _ => Task.FromResult<Stream?>(Open(output)), _ => Task.FromResult<Stream?>(null));
        }).ToList();
        var results = prefix + ".results.jsonl";
        var errors = prefix + ".errors.jsonl";
        BatchUsage usage;
        await using (var resultStream = new FileStream(results, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        await using (var errorStream = new FileStream(errors, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            usage = await JsonlMerger.MergeAsync(parts, resultStream, errorStream);
        }

        var bytes = new FileInfo(results).Length + new FileInfo(errors).Length;
        File.Delete(results);
        File.Delete(errors);
        return (bytes, usage.Succeeded + usage.Failed + usage.Missing);
    }

    private static FileStream Open(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);

    /// <summary>Where the resident memory is now (<c>/proc/self/status</c>): anonymous (heaps, stacks) and file-backed (mapped code).</summary>
    public static string ResidentSummary() => File.Exists("/proc/self/status")
        ? string.Join(", ", File.ReadLines("/proc/self/status")
            .Where(line => line.StartsWith("RssAnon:", StringComparison.Ordinal) || line.StartsWith("RssFile:", StringComparison.Ordinal) || line.StartsWith("RssShmem:", StringComparison.Ordinal))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(cells => $"{cells[0].TrimEnd(':')[3..].ToLowerInvariant()} {long.Parse(cells[1], System.Globalization.CultureInfo.InvariantCulture) / 1000} MB"))
        : "";

    public static long PeakResidentBytes()
    {
        if (File.Exists("/proc/self/status"))
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }

        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
