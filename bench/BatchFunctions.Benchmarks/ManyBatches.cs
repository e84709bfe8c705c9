using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using BatchFunctions.FunctionApp;
using BatchFunctions.FunctionApp.Tests;
using BatchFunctions.MistralEmulator;
using BatchFunctions.Runner;
using BatchFunctions.Tests.Contract;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace BatchFunctions.Benchmarks;

/// <summary>
/// <c>--ops many</c>: many files dropped at once (mixed sizes, log-uniform between two bounds) into one workspace
/// whose pending limit is smaller than their sum, through the runner and through the Function App's functions on
/// the Durable test host, each in a child process of its own. Prints the time to drain, Mistral calls by kind per
/// batch, storage transactions per batch, the workspace's peak pending requests against its limit, refused
/// creates and the host's peak memory.
/// </summary>
internal static class ManyBatches
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task RunAsync(int files, long min, long max, long limit, double jobSpeed, string directory, IReadOnlyList<string> hosts)
    {
        await using var azurite = await BenchAzurite.StartAsync();
        await using var emulator = await MistralEmulatorServer.StartAsync(options =>
        {
            options.QueueDelay = TimeSpan.Zero;
            options.RequestsPerSecond = jobSpeed;
            options.MaxPendingRequests = limit;
            options.MaxFileBytes = 4L << 30;
        });
        using var admin = new HttpClient { BaseAddress = emulator.BaseAddress };
        var sizes = Sizes(files, min, max);
        var inputs = new List<string>();
        foreach (var (size, index) in sizes.Select((s, i) => (s, i)))
        {
            var input = Path.Combine(directory, string.Create(Invariant, $"many-{index:D3}-{size}.jsonl"));
            if (!File.Exists(input))
            {
                await EndToEnd.WriteInputAsync(input, size, failingEvery: 0);
            }

            inputs.Add(input);
        }

        Console.WriteLine(string.Create(Invariant, $"{files} files dropped at once, {sizes.Sum():N0} requests ({sizes.Min():N0} to {sizes.Max():N0} each), workspace pending limit {limit:N0} (Mistral:MaxPendingRequests the same), each job processing {jobSpeed:N0} requests/s; {Environment.ProcessorCount} cores"));
        Console.WriteLine($"{"host",-12} {"drain s",8} {"whole",6} {"creates",8} {"refused",8} {"peak pending",13} {"calls/batch",12} {"polls/batch",12} {"lists/batch",12} {"storage tx/batch",17} {"peak MB",8}");
        foreach (var host in hosts)
        {
            (await admin.PostAsync(new Uri("_emulator/reset", UriKind.Relative), null)).EnsureSuccessStatusCode();
            var manifest = await DropAsync(azurite.ConnectionString, host, inputs, directory);
            var result = await ChildAsync(host == "runner" ? "many-runner" : "many-functionapp", manifest, azurite.ConnectionString, emulator.BaseAddress, limit);
            if (result is null)
            {
                Console.WriteLine($"{host,-12} failed");
                continue;
            }

            using var calls = JsonDocument.Parse(await admin.GetStringAsync(new Uri("_emulator/calls", UriKind.Relative)));
            using var workspace = JsonDocument.Parse(await admin.GetStringAsync(new Uri("_emulator/workspace", UriKind.Relative)));
            var all = calls.RootElement.EnumerateArray().Where(c => c.GetProperty("path").GetString()!.StartsWith("/v1/", StringComparison.Ordinal)).ToList();
            var creates = all.Where(c => c.GetProperty("method").GetString() == "POST" && c.GetProperty("path").GetString() == "/v1/batch/jobs").ToList();
            var refused = creates.Count(c => c.GetProperty("status").GetInt32() != 200);

            // Status reads: a job read directly (a poll of one or two jobs, or a collect), or a page of the job list.
            var directReads = all.Count(c => c.GetProperty("method").GetString() == "GET" && c.GetProperty("path").GetString()!.StartsWith("/v1/batch/jobs/", StringComparison.Ordinal));
            var lists = all.Count(c => c.GetProperty("method").GetString() == "GET" && c.GetProperty("path").GetString() == "/v1/batch/jobs");
            var peak = workspace.RootElement.GetProperty("peak_pending_requests").GetInt64();
            Console.WriteLine(string.Create(Invariant, $"{host,-12} {result.Seconds,8:F1} {result.Whole,3}/{files,-2} {creates.Count - refused,8} {refused,8} {peak,13:N0} {all.Count / (double)files,12:F1} {directReads / (double)files,12:F1} {lists / (double)files,12:F1} {result.StorageRequests / (double)files,17:F0} {result.PeakBytes / 1e6,8:F0}"));
        }

        Console.WriteLine("whole: batches Succeeded with every request answered. calls: every /v1 call; polls: direct job reads (polls of one or two jobs, collects); lists: job-list pages (polls of three jobs or more, admission's pending count, finding a job after a lost answer).");
    }

    /// <summary>Log-uniform sizes between <paramref name="min"/> and <paramref name="max"/>, the same on every run.</summary>
    private static List<long> Sizes(int files, long min, long max)
    {
        var random = new Random(20261208);
        return [.. Enumerable.Range(0, files).Select(_ => (long)Math.Round(min * Math.Pow(max / (double)min, random.NextDouble())))];
    }

    /// <summary>Stores every input (the user's drop) and writes the manifest the child starts them from: one <c>name etag</c> line each.</summary>
    private static async Task<string> DropAsync(string storage, string host, IReadOnlyList<string> inputs, string directory)
    {
        var container = new BlobServiceClient(storage).GetBlobContainerClient("batch-input");
        await container.CreateIfNotExistsAsync();
        var lines = await Task.WhenAll(inputs.Select(async input =>
        {
            var name = $"{host}/{Path.GetFileName(input)}";
            var uploaded = await container.GetBlobClient(name).UploadAsync(input, overwrite: true);
            return $"{name} {uploaded.Value.ETag}";
        }));
        var manifest = Path.Combine(directory, $"many-{host}.manifest");
        await File.WriteAllLinesAsync(manifest, lines);
        return manifest;
    }

    private static async Task<ManyResult?> ChildAsync(string kind, string manifest, string storage, Uri mistral, long limit) =>
        await EndToEnd.MeasureChildAsync(["measure", kind, manifest, storage, mistral.ToString(), limit.ToString(Invariant)]) is { } output
            ? JsonSerializer.Deserialize(output, BenchJsonContext.Default.ManyResult)
            : null;

    /// <summary>The runner's child: every batch started at once, then its scheduler steps them until each has its summary.</summary>
    public static async Task<int> MeasureRunnerAsync(string manifest, string storage, string mistral, long limit)
    {
        var counter = new StorageTrafficCounter();
        await using var services = EndToEnd.ChildServices(counter, "Storage:ConnectionString", storage, mistral, (host, configuration) => host.AddBatchFunctionsRunner(configuration), Settings(limit));
        var batchStorage = services.GetRequiredService<BatchStorage>();
        await batchStorage.EnsureCreatedAsync();
        var sources = await SourcesAsync(manifest, batchStorage);
        // The scheduler first, as `batchfn serve` starts it: it creates the runner's containers.
        var scheduler = services.GetRequiredService<BatchScheduler>();
        await scheduler.StartAsync(CancellationToken.None);
        var clock = Stopwatch.StartNew();
        var runner = services.GetRequiredService<BatchRunner>();
        foreach (var source in sources)
        {
            await runner.StartAsync(source);
        }

        scheduler.Wake();
        var whole = await WaitForSummariesAsync(storage, sources);
        var seconds = clock.Elapsed.TotalSeconds;
        await scheduler.StopAsync(CancellationToken.None);
        return Report(new ManyResult(seconds, whole, counter.Requests, Measurement.PeakResidentBytes()));
    }

    /// <summary>The Function App's child: its starter and its orchestrations on the Durable test host, every batch at once.</summary>
    public static async Task<int> MeasureFunctionAppAsync(string manifest, string storage, string mistral, long limit)
    {
        var counter = new StorageTrafficCounter();
        await using var services = EndToEnd.ChildServices(counter, "AzureWebJobsStorage", storage, mistral, (host, configuration) => host.AddBatchFunctionsApp(configuration), Settings(limit));
        await ActivatorUtilities.CreateInstance<StorageInitializer>(services).StartAsync(CancellationToken.None);
        var batchStorage = services.GetRequiredService<BatchStorage>();
        await using var durable = await FunctionAppRegistration.StartTestHostAsync(registry => FunctionAppRegistration.Register(registry, services));
        var sources = await SourcesAsync(manifest, batchStorage);
        var clock = Stopwatch.StartNew();
        var starter = services.GetRequiredService<BatchStarter>();
        var ids = new List<string>();
        foreach (var source in sources)
        {
            ids.Add((await starter.StartAsync(durable.Client, source, CancellationToken.None)).InstanceId);
        }

        var ended = await Task.WhenAll(ids.Select(id => durable.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true)));
        foreach (var instance in ended.Where(i => i.RuntimeStatus != OrchestrationRuntimeStatus.Completed || i.ReadOutputAs<BatchStatus>()?.Outcome != BatchOutcome.Succeeded))
        {
            await Console.Error.WriteLineAsync($"{instance.InstanceId} ended {instance.RuntimeStatus} {instance.ReadOutputAs<BatchStatus>()?.Outcome}: {instance.FailureDetails?.ErrorMessage ?? instance.ReadOutputAs<BatchStatus>()?.Failure}");
        }

        var whole = await WaitForSummariesAsync(storage, sources);
        return Report(new ManyResult(clock.Elapsed.TotalSeconds, whole, counter.Requests, Measurement.PeakResidentBytes()));
    }

    // A waiting part looks again every 2 s here rather than 30: the drain time is then the work's, not the timer's.
    private static Dictionary<string, string?> Settings(long limit) => new()
    {
        ["Mistral:MaxPendingRequests"] = limit.ToString(Invariant),
        ["Mistral:CapacityRecheck"] = "00:00:02",
    };

    private static async Task<List<BatchSource>> SourcesAsync(string manifest, BatchStorage storage) =>
        [.. (await File.ReadAllLinesAsync(manifest)).Select(line => line.Split(' ')).Select(parts => new BatchSource(storage.AccountName, storage.Options.InputContainer, parts[0], parts[1]))];

    /// <summary>
    /// Waits until every batch has its summary, read with a client of its own (not counted), once a second; answers
    /// how many Succeeded with every request answered.
    /// </summary>
    private static async Task<int> WaitForSummariesAsync(string storage, IReadOnlyList<BatchSource> sources)
    {
        var output = new BlobServiceClient(storage).GetBlobContainerClient("batch-output");
        var expected = sources.Select(s => BlobLayout.Summary(s.Name, BatchInstanceId.From(s))).ToHashSet(StringComparer.Ordinal);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var found = new List<string>();
            await foreach (var blob in output.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: null, CancellationToken.None))
            {
                if (expected.Contains(blob.Name))
                {
                    found.Add(blob.Name);
                }
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(30))
            {
                throw new TimeoutException($"{expected.Count - found.Count} of {expected.Count} batches have no summary after 30 minutes: {string.Join(", ", expected.Except(found).Take(5))}");
            }

            if (found.Count == expected.Count)
            {
                var whole = 0;
                foreach (var name in found)
                {
                    using var summary = JsonDocument.Parse((await output.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToStream());
                    var usage = summary.RootElement.GetProperty("usage");
                    if (Environment.GetEnvironmentVariable("BENCH_TRACE") == "1")
                    {
                        // Each batch's start and end, on stderr: how the drain is spread over the batches.
                        await Console.Error.WriteLineAsync($"TRACE {name}: {summary.RootElement.GetProperty("started_at").GetDateTimeOffset():HH:mm:ss.f} .. {summary.RootElement.GetProperty("completed_at").GetDateTimeOffset():HH:mm:ss.f}, {usage.GetProperty("requests").GetInt64()} requests");
                    }

                    whole += summary.RootElement.GetProperty("status").GetString() == "Succeeded" && usage.GetProperty("missing").GetInt64() == 0 ? 1 : 0;
                }

                return whole;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    private static int Report(ManyResult result)
    {
        Console.WriteLine(JsonSerializer.Serialize(result, BenchJsonContext.Default.ManyResult));
        return 0;
    }
}

/// <summary>What a many-batches child reports.</summary>
internal sealed record ManyResult(double Seconds, int Whole, long StorageRequests, long PeakBytes);
