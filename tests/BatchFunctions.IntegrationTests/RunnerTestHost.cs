using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core;
using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using BatchFunctions.MistralEmulator;
using BatchFunctions.Runner;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace BatchFunctions.IntegrationTests;

/// <summary>
/// For end-to-end tests of the runner: Azurite (shared, with containers and queues of this test's own), the
/// emulator on real time in this process (so that it outlives the runners a test kills), runner processes
/// started with the same settings, and the test's own view of the storage and of Mistral.
/// </summary>
public sealed class RunnerTestHost : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly ServiceProvider _services;
    private readonly List<RunnerProcess> _runners = [];

    private RunnerTestHost(MistralEmulatorServer emulator, Dictionary<string, string?> settings, ServiceProvider services)
    {
        Emulator = emulator;
        Settings = settings;
        _services = services;
        Admin = new HttpClient { BaseAddress = emulator.BaseAddress };
    }

    public MistralEmulatorServer Emulator { get; }

    public Dictionary<string, string?> Settings { get; }

    public HttpClient Admin { get; }

    public BatchStorage Storage => _services.GetRequiredService<BatchStorage>();

    public MistralClient Mistral => _services.GetRequiredService<MistralClient>();

    /// <summary>The transcript of every runner started, for failure messages.</summary>
    public string RunnerOutput => string.Join(Environment.NewLine + "----" + Environment.NewLine, _runners.Select(r => r.Output));

    public static async Task<RunnerTestHost> StartAsync(AzuriteFixture azurite, Action<MistralEmulatorOptions>? emulator = null, IDictionary<string, string?>? settings = null)
    {
        var server = await MistralEmulatorServer.StartAsync(options =>
        {
            options.QueueDelay = TimeSpan.FromMilliseconds(200);
            options.RequestsPerSecond = 50;
            options.CancellationDelay = TimeSpan.FromMilliseconds(300);
            emulator?.Invoke(options);
        });
        var values = WorkflowTestHost.IsolatedSettings(azurite, server);
        values["Runner:ScanInterval"] = "00:00:00.200";
        values["Runner:WatchInterval"] = "00:00:00.300";
        values["Runner:SettleTime"] = "00:00:00";
        values["Runner:LeaseDuration"] = "00:00:15";
        values["Runner:QueuePollInterval"] = "00:00:00.200";
        values["Runner:RequestsQueue"] = values["Storage:CompletedQueue"]!.Replace("-completed", "-requests", StringComparison.Ordinal);
        values["Workflow:FirstPollDelay"] = "00:00:00.300";
        values["Workflow:MinPollDelay"] = "00:00:00.300";
        values["Logging:LogLevel:Default"] = "Information";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection().AddLogging().AddBatchFunctionsRunner(configuration).BuildServiceProvider();
        var host = new RunnerTestHost(server, values, services);
        await host.Storage.EnsureCreatedAsync();
        return host;
    }

    /// <summary>Starts a runner process with this host's settings (and <paramref name="overrides"/>).</summary>
    public async Task<RunnerProcess> StartRunnerAsync(IDictionary<string, string?>? overrides = null, params string[] arguments)
    {
        var settings = new Dictionary<string, string?>(Settings);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var runner = await RunnerProcess.StartAsync(settings, arguments);
        _runners.Add(runner);
        return runner;
    }

    /// <summary>Request lines r1..rN in the chat shape.</summary>
    public static string Lines(int count, string prefix = "r") =>
        string.Concat(Enumerable.Range(1, count).Select(i => $"{{\"custom_id\":\"{prefix}{i}\",\"body\":{{\"messages\":[{{\"role\":\"user\",\"content\":\"question {i}\"}}]}}}}\n"));

    /// <summary>Drops an input into the input container, as a user would; returns its batch's source.</summary>
    public async Task<BatchSource> DropAsync(string name, string content, IDictionary<string, string>? metadata = null)
    {
        var uploaded = await Storage.Input.GetBlobClient(name).UploadAsync(BinaryData.FromString(content), new BlobUploadOptions { Metadata = metadata });
        return new BatchSource(Storage.AccountName, Storage.Options.InputContainer, name, uploaded.Value.ETag.ToString());
    }

    /// <summary>Waits for <paramref name="count"/> completion messages on the completion queue.</summary>
    public async Task<List<CompletionMessage>> ReceiveCompletionsAsync(int count)
    {
        var received = new List<CompletionMessage>();
        await EventuallyAsync(async () =>
        {
            foreach (var message in (await Storage.Completed.ReceiveMessagesAsync(maxMessages: 32)).Value)
            {
                received.Add(JsonSerializer.Deserialize(message.Body.ToString(), BatchJsonContext.Default.CompletionMessage)!);
                await Storage.Completed.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }

            return received.Count >= count;
        }, $"{count} completion message(s)");
        return received;
    }

    /// <summary>Waits until the batch's status (read through <paramref name="client"/>) satisfies <paramref name="condition"/>.</summary>
    public async Task<BatchStatus> WaitForStatusAsync(BatchApiClient client, string id, Func<BatchStatus, bool> condition, string what)
    {
        BatchStatus? last = null;
        await EventuallyAsync(async () => (last = await client.GetAsync(id)) is { } status && condition(status), $"batch {id} {what} (last seen: {last?.Phase})");
        return last!;
    }

    public Task<BatchStatus> WaitForCompletionAsync(BatchApiClient client, string id) =>
        WaitForStatusAsync(client, id, s => s.Phase == BatchPhase.Completed, "to complete");

    /// <summary>Polls <paramref name="probe"/> until it holds; fails with the runners' transcripts when it never does.</summary>
    public async Task EventuallyAsync(Func<Task<bool>> probe, string what)
    {
        using var deadline = new CancellationTokenSource(Patience);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!await probe())
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting for {what}.{Environment.NewLine}{RunnerOutput}");
            }

            await timer.WaitForNextTickAsync();
        }
    }

    public Task<List<BatchJob>> JobsOfAsync(string instanceId) => WorkflowTestHost.JobsOfAsync(Mistral, instanceId);

    /// <summary>The emulator's record of calls: method and path of each.</summary>
    public async Task<List<(string Method, string Path)>> CallsAsync()
    {
        using var document = JsonDocument.Parse(await Admin.GetStringAsync(new Uri("_emulator/calls", UriKind.Relative)));
        return [.. document.RootElement.EnumerateArray().Select(call => (call.GetProperty("method").GetString()!, call.GetProperty("path").GetString()!))];
    }

    public async Task AddFaultAsync(object rule) =>
        (await Admin.PostAsJsonAsync(new Uri("_emulator/faults", UriKind.Relative), rule)).EnsureSuccessStatusCode();

    public async Task<string> ReadAsync(BatchFileKind kind, BatchSource source) =>
        (await Storage.FileOf(source.Name, BatchInstanceId.From(source), kind).DownloadContentAsync()).Value.Content.ToString();

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        foreach (var runner in _runners)
        {
            await runner.DisposeAsync();
        }

        Admin.Dispose();
        await _services.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}
