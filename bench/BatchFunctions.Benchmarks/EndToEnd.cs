using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Storage.Blobs;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using BatchFunctions.MistralEmulator;
using BatchFunctions.Runner;
using BatchFunctions.Tests.Contract;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace BatchFunctions.Benchmarks;

/// <summary>
/// <c>--ops e2e</c>: generated inputs of N small chat requests through the runner on Azurite and the emulator
/// (instant jobs), the runner in a child process of its own so that its peak memory is its own (the input is
/// stored and the results fetched by the parent, as a user would). Prints the
/// seconds per phase, the storage bytes read and written, peak memory and <c>wc -l</c> on the same file.
/// </summary>
internal static class EndToEnd
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static readonly string[] Phases = ["store", "Validating", "Staging", "Uploading", "Creating", "Polling", "Collecting", "Finalizing", "download"];

    /// <summary>
    /// The parent: Azurite and the emulator, then per size <paramref name="rounds"/> runs of the runner (a child
    /// each) alternating with the docs' script on the same emulator, the best of each kept; then, when
    /// <paramref name="functionApp"/> is set, as many runs of the Function App's functions (see <see cref="FunctionAppEndToEnd"/>).
    /// With <paramref name="failingEvery"/> above 0, every request with that ordinal's multiple fails at Mistral
    /// (a negative max_tokens, which validation lets through and the emulator refuses): the merges then meet
    /// lines in the error file, as a real batch's do.
    /// </summary>
    public static async Task RunAsync(IReadOnlyList<long> sizes, string directory, int rounds, bool functionApp, int failingEvery = 0)
    {
        await using var azurite = await BenchAzurite.StartAsync();
        await using var emulator = await MistralEmulatorServer.StartAsync(options =>
        {
            options.QueueDelay = TimeSpan.Zero;
            options.RequestsPerSecond = 0;
            options.MaxFileBytes = 4L << 30;
        });
        var script = DocsScript.Find(azurite.RepositoryRoot);
        Console.WriteLine($"End to end through the runner (Azurite in memory, emulator with instant jobs, {Environment.ProcessorCount} cores, best of {rounds}); seconds per phase");
        Console.WriteLine(string.Join(' ', new[] { $"{"requests",9}" }.Concat(Phases.Select(p => $"{Short(p),7}")).Concat([$"{"total",7}", $"{"read MB",8}", $"{"write MB",8}", $"{"peak MB",8}", $"{"wc -l s",8}"])));
        var comparisons = new List<(long Requests, double Runner, DocsScriptResult? Script)>();
        var apps = new List<(long Requests, EndToEndResult? App)>();
        foreach (var requests in sizes)
        {
            var input = Path.Combine(directory, failingEvery > 0 ? $"e2e-{requests}-failing-every-{failingEvery}.jsonl" : $"e2e-{requests}.jsonl");
            if (!File.Exists(input))
            {
                await WriteInputAsync(input, requests, failingEvery);
            }

            var wc = await TimeWcAsync(input);
            EndToEndResult? best = null;
            DocsScriptResult? bestScript = null;
            for (var round = 0; round < rounds; round++)
            {
                if (await RunChildAsync("e2e", input, directory, azurite.ConnectionString, emulator.BaseAddress) is { } run && (best is null || run.Total < best.Total))
                {
                    best = run;
                }

                if (script is not null && await DocsScript.RunAsync(script, input, directory, emulator.BaseAddress) is { } scripted && (bestScript is null || scripted.Total < bestScript.Total))
                {
                    bestScript = scripted;
                }
            }

            if (functionApp)
            {
                EndToEndResult? bestApp = null;
                for (var round = 0; round < rounds; round++)
                {
                    if (await RunChildAsync("e2e-functionapp", input, directory, azurite.ConnectionString, emulator.BaseAddress) is { } app && (bestApp is null || app.Total < bestApp.Total))
                    {
                        bestApp = app;
                    }
                }

                apps.Add((requests, bestApp));
            }

            if (best is null)
            {
                Console.WriteLine($"{requests,9} failed");
                continue;
            }

            var cells = Phases.Select(p => best.Seconds.TryGetValue(p, out var s) ? s.ToString("F2", Invariant) : "-").Select(c => $"{c,7}");
            Console.WriteLine(string.Join(' ', new[] { $"{requests,9}" }.Concat(cells).Concat([
                $"{best.Total,7:F2}", $"{best.BytesRead / 1e6,8:F1}", $"{best.BytesWritten / 1e6,8:F1}", $"{best.PeakBytes / 1e6,8:F0}", $"{wc,8:F3}"])));
            comparisons.Add((requests, best.Total, bestScript));
        }

        Console.WriteLine("Phases: store = the input uploaded to Azurite, download = results.jsonl and summary.json fetched; the rest as the status names them.");
        Console.WriteLine();
        if (functionApp)
        {
            // The same inputs through the Function App's own functions: its memory is what a Flex Consumption
            // instance must hold, and the runner's figures say nothing of it.
            Console.WriteLine($"The Function App's orchestrator and activities on the Durable Task in-process test host (same Azurite and emulator, its own process; phases read from its status 4 times a second), best of {rounds}");
            Console.WriteLine(string.Join(' ', new[] { $"{"requests",9}" }.Concat(Phases.Select(p => $"{Short(p),7}")).Concat([$"{"total",7}", $"{"read MB",8}", $"{"write MB",8}", $"{"peak MB",8}"])));
            foreach (var (requests, app) in apps)
            {
                Console.WriteLine(app is null
                    ? $"{requests,9} failed"
                    : string.Join(' ', new[] { $"{requests,9}" }.Concat(Phases.Select(p => app.Seconds.TryGetValue(p, out var s) ? s.ToString("F2", Invariant) : "-").Select(c => $"{c,7}")).Concat([
                        $"{app.Total,7:F2}", $"{app.BytesRead / 1e6,8:F1}", $"{app.BytesWritten / 1e6,8:F1}", $"{app.PeakBytes / 1e6,8:F0}"])));
            }

            Console.WriteLine();
        }
        if (script is null)
        {
            Console.WriteLine("The docs' script was not run: the pinned Mistral SDK is not installed (npm ci) or node is not on the PATH.");
            return;
        }

        // Issue #13's yardstick: the wall time of the flow the docs give (upload, create, poll every second,
        // download), measured the same way on the same emulator.
        Console.WriteLine($"Against the docs' script (official Mistral TypeScript SDK: upload, create, poll every 1 s, download), best of {rounds}");
        Console.WriteLine($"{"requests",9} {"batchfn",8} {"script",8} {"upload",7} {"create",7} {"poll",7} {"downl.",7} {"ratio",6} {"target",7}");
        foreach (var (requests, runner, scripted) in comparisons)
        {
            var target = requests >= 1_000_000 ? 2.0 : 1.5;
            Console.WriteLine(scripted is null
                ? $"{requests,9} {runner,8:F2} {"failed",8}"
                : string.Create(Invariant, $"{requests,9} {runner,8:F2} {scripted.Total,8:F2} {scripted.Phase("upload"),7:F2} {scripted.Phase("create"),7:F2} {scripted.Phase("poll"),7:F2} {scripted.Phase("download"),7:F2} {runner / scripted.Total,5:F2}x {target,6:F1}x"));
        }
    }

    /// <summary>One run of a host (<c>e2e</c>: the runner, <c>e2e-functionapp</c>: the Function App's functions) in a child process, the user's store and download timed around it.</summary>
    private static async Task<EndToEndResult?> RunChildAsync(string kind, string input, string directory, string storage, Uri mistral)
    {
        // Storing the input and fetching the results are the user's transfers, timed here: the child's
        // figures (and its peak memory) are the runner's alone.
        var blobs = new BlobServiceClient(storage);
        var inputs = blobs.GetBlobContainerClient("batch-input");
        await inputs.CreateIfNotExistsAsync();
        var name = $"bench-{Guid.NewGuid():N}.jsonl";
        var clock = Stopwatch.StartNew();
        var uploaded = await inputs.GetBlobClient(name).UploadAsync(input);
        var store = clock.Elapsed.TotalSeconds;
        var child = await ChildAsync(kind, name, uploaded.Value.ETag.ToString(), storage, mistral);
        if (child is null)
        {
            return null;
        }

        clock.Restart();
        foreach (var file in new[] { "results.jsonl", "summary.json" })
        {
            var local = Path.Combine(directory, $"e2e-download-{file}");
            await blobs.GetBlobContainerClient("batch-output").GetBlobClient($"{name}/{child.InstanceId}/{file}").DownloadToAsync(local);
            File.Delete(local);
        }

        child.Seconds["store"] = store;
        child.Seconds["download"] = clock.Elapsed.TotalSeconds;
        return child;
    }

    /// <summary>The child: the runner's services in this process, with storage traffic counted.</summary>
    public static async Task<int> MeasureAsync(string name, string etag, string storage, string mistral)
    {
        var counter = new StorageTrafficCounter();
        await using var services = ChildServices(counter, "Storage:ConnectionString", storage, mistral, (host, configuration) => host.AddBatchFunctionsRunner(configuration));
        var batchStorage = services.GetRequiredService<BatchStorage>();
        await batchStorage.EnsureCreatedAsync();

        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        var source = new BatchSource(batchStorage.AccountName, batchStorage.Options.InputContainer, name, etag);
        using var allocations = AllocationSampler.StartIfAsked();
        var phases = new PhaseClock(seconds, allocations);
        var state = await services.GetRequiredService<BatchRunner>().RunAsync(source, phases) ?? throw new InvalidOperationException("the batch ran already");
        phases.End();
        if (state.Outcome != BatchOutcome.Succeeded)
        {
            await Console.Error.WriteLineAsync($"batch ended {state.Outcome}: {state.Failure}");
            return 1;
        }

        var result = new EndToEndResult(state.InstanceId, seconds, counter.BytesRead, counter.BytesWritten, Measurement.PeakResidentBytes());
        Console.WriteLine(JsonSerializer.Serialize(result, BenchJsonContext.Default.EndToEndResult));
        return 0;
    }

    /// <summary>
    /// A measured child's services: its host's own registration (<paramref name="addHost"/>, reading the storage
    /// connection from <paramref name="storageSetting"/>) over a blob client whose traffic <paramref name="counter"/> counts.
    /// </summary>
    internal static ServiceProvider ChildServices(StorageTrafficCounter counter, string storageSetting, string storage, string mistral, Func<IServiceCollection, IConfiguration, IServiceCollection> addHost, IDictionary<string, string?>? more = null)
    {
        var blobOptions = new BlobClientOptions();
        blobOptions.AddPolicy(counter, HttpPipelinePosition.PerCall);
        var settings = new Dictionary<string, string?>
        {
            [storageSetting] = storage,
            ["Mistral:BaseAddress"] = mistral,
            ["Mistral:ApiKey"] = "bench",
            ["Batch:MaxLineBytes"] = "1048576",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return addHost(new ServiceCollection().AddLogging().AddSingleton(new BlobServiceClient(storage, blobOptions)), configuration)
            .BuildServiceProvider();
    }

    private static async Task<EndToEndResult?> ChildAsync(string kind, string name, string etag, string storage, Uri mistral) =>
        await MeasureChildAsync(["measure", kind, name, etag, storage, mistral.ToString()]) is { } output ? JsonSerializer.Deserialize(output, BenchJsonContext.Default.EndToEndResult) : null;

    /// <summary>Runs this benchmark again as a child process with <paramref name="arguments"/>; answers what it printed, or null when it failed.</summary>
    internal static async Task<string?> MeasureChildAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (!Environment.ProcessPath!.EndsWith("BatchFunctions.Benchmarks", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(typeof(EndToEnd).Assembly.Location);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The Durable Task test host's sidecar is a default web host: it logs each gRPC call to the console
        // (this child's report) unless its configuration, read from the environment, says otherwise.
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        using var child = Process.Start(start)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        return child.ExitCode == 0 ? output : null;
    }

    /// <summary>Seconds <c>wc -l</c> takes on the file: the floor a line-by-line pass is compared with.</summary>
    internal static async Task<double> TimeWcAsync(string input)
    {
        var clock = Stopwatch.StartNew();
        using var wc = Process.Start(new ProcessStartInfo("wc", ["-l", input]) { RedirectStandardOutput = true })!;
        await wc.StandardOutput.ReadToEndAsync();
        await wc.WaitForExitAsync();
        return clock.Elapsed.TotalSeconds;
    }

    internal static async Task WriteInputAsync(string path, long requests, int failingEvery)
    {
        await using var file = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        for (var i = 0L; i < requests; i++)
        {
            var maxTokens = failingEvery > 0 && i % failingEvery == failingEvery / 2 ? -1 : 16;
            await file.WriteAsync(string.Create(Invariant, $"{{\"custom_id\":\"req-{i:D9}\",\"body\":{{\"max_tokens\":{maxTokens},\"messages\":[{{\"role\":\"user\",\"content\":\"Question {i}: what is {i % 97} times {i % 89}?\"}}]}}}}\n"));
        }
    }

    private static string Short(string phase) => phase switch
    {
        "Validating" => "valid.",
        "Uploading" => "upload",
        "Creating" => "create",
        "Polling" => "poll",
        "Collecting" => "collect",
        "Finalizing" => "final.",
        "download" => "downl.",
        _ => phase.ToLowerInvariant(),
    };

    /// <summary>Seconds spent in each phase, from the runner's own progress reports.</summary>
    internal sealed class PhaseClock(Dictionary<string, double> seconds, AllocationSampler? allocations) : IProgress<BatchStatus>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private string? _phase;
        private double _since;

        public void Report(BatchStatus value)
        {
            var phase = value.Phase.ToString();
            // Every report with its time and each part's job, on stderr: where a phase's seconds go.
            if (Environment.GetEnvironmentVariable("BENCH_TRACE") == "1")
            {
                Console.Error.WriteLine($"TRACE {_clock.Elapsed.TotalSeconds:F3} {phase} completed={value.Completed} parts={string.Join(',', value.Parts.Select(p => p.JobStatus + ":" + p.Completed))}");
            }

            if (phase != _phase)
            {
                Close();
                _phase = phase;
            }
        }

        public void End() => Close();

        private void Close()
        {
            var now = _clock.Elapsed.TotalSeconds;
            if (_phase is { } phase && phase != nameof(BatchPhase.Completed))
            {
                seconds[phase] = seconds.GetValueOrDefault(phase) + (now - _since);
                // Per phase, on stderr: which phase raises the peak.
                Console.Error.WriteLine($"  after {phase}: peak {Measurement.PeakResidentBytes() / 1e6:F0} MB ({Measurement.ResidentSummary()}), managed heap {GC.GetTotalMemory(false) / 1e6:F0} MB, GC committed {GC.GetGCMemoryInfo().TotalCommittedBytes / 1e6:F0} MB, allocated {GC.GetTotalAllocatedBytes() / 1e6:F0} MB, GCs {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
                if (allocations is not null)
                {
                    Console.Error.WriteLine($"    allocated most: {allocations.TakeTop(8)}");
                }
            }

            _since = now;
        }
    }
}

/// <summary>What the end-to-end child reports.</summary>
internal sealed record EndToEndResult(string InstanceId, Dictionary<string, double> Seconds, long BytesRead, long BytesWritten, long PeakBytes)
{
    public double Total => Seconds.Values.Sum();
}

/// <summary>The repository's pinned Azurite, in memory on free loopback ports, for the end-to-end benchmark.</summary>
internal sealed class BenchAzurite : IAsyncDisposable
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly Process _process;

    private BenchAzurite(Process process, string connectionString)
    {
        _process = process;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    /// <summary>The folder holding the repository's node_modules (the pinned Azurite and Mistral SDK).</summary>
    public required string RepositoryRoot { get; init; }

    public static async Task<BenchAzurite> StartAsync()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "node_modules", ".bin", "azurite")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException("The pinned Azurite is not installed: run npm ci (./test.sh does).");
        }

        var executable = Path.Combine(root.FullName, "node_modules", ".bin", "azurite");
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--inMemoryPersistence", "--skipApiVersionCheck", "--disableProductStyleUrl", "--blobHost", "127.0.0.1", "--blobPort", "0", "--queueHost", "127.0.0.1", "--queuePort", "0", "--tableHost", "127.0.0.1", "--tablePort", "0" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var ports = new ConcurrentDictionary<string, string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (ports.Count < 3 && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var at = line.IndexOf(" service is successfully listening at http://127.0.0.1:", StringComparison.Ordinal);
            if (at > 0)
            {
                ports[line[(line.LastIndexOf(' ', at - 1) + 1)..at]] = line[(line.LastIndexOf(':') + 1)..];
            }
        }

        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return new BenchAzurite(process, $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};BlobEndpoint=http://127.0.0.1:{ports["Blob"]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{ports["Queue"]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{ports["Table"]}/devstoreaccount1;") { RepositoryRoot = root.FullName };
    }

    public async ValueTask DisposeAsync()
    {
        // In memory: nothing to save, so no grace.
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
