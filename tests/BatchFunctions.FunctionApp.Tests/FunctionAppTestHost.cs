using System.Text;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using BatchFunctions.MistralEmulator;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.FunctionApp.Tests;

/// <summary>
/// The Function App's own orchestrator and activity functions on the real Durable Task replay engine
/// (in-process), built from the app's own service registration, with Core on Azurite and the emulator.
/// Containers and queues are the test's own. Timers are real durable timers, kept short by settings.
/// </summary>
public sealed class FunctionAppTestHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly DurableTaskTestHost _durable;

    private FunctionAppTestHost(MistralEmulatorServer emulator, ServiceProvider services, DurableTaskTestHost durable, Dictionary<string, string?> settings, TimerCount timers)
    {
        Timers = timers;
        Emulator = emulator;
        _services = services;
        _durable = durable;
        Settings = settings;
        Admin = new HttpClient { BaseAddress = emulator.BaseAddress };
    }

    public MistralEmulatorServer Emulator { get; }

    /// <summary>The durable timers each orchestration created.</summary>
    public TimerCount Timers { get; }

    public Dictionary<string, string?> Settings { get; }

    public HttpClient Admin { get; }

    public DurableTaskClient Client => _durable.Client;

    public IServiceProvider Services => _services;

    public BatchStorage Storage => _services.GetRequiredService<BatchStorage>();

    public MistralClient Mistral => _services.GetRequiredService<MistralClient>();

    /// <summary>The Function App's own function classes, made as the Functions host makes them: from its services.</summary>
    public T Function<T>() => ActivatorUtilities.CreateInstance<T>(_services);

    /// <param name="azurite">The shared Azurite.</param>
    /// <param name="settings">Settings over the defaults (fast polling, short activity retries).</param>
    /// <param name="throwIn">An activity that throws instead of running: an activity whose code has a bug.</param>
    public static async Task<FunctionAppTestHost> StartAsync(AzuriteFixture azurite, IDictionary<string, string?>? settings = null, string? throwIn = null)
    {
        var emulator = await MistralEmulatorServer.StartAsync(options =>
        {
            options.QueueDelay = TimeSpan.Zero;
            options.RequestsPerSecond = 100_000;
            options.CancellationDelay = TimeSpan.FromMilliseconds(200);
        });
        var prefix = "f" + Guid.NewGuid().ToString("N")[..8];
        var values = new Dictionary<string, string?>
        {
            ["Mistral:BaseAddress"] = emulator.BaseAddress.ToString(),
            ["Mistral:ApiKey"] = "function-app-key",
            ["Mistral:RetryBaseDelay"] = "00:00:00.010",
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["BATCH_INPUT_CONTAINER"] = prefix + "-input",
            ["Storage:OutputContainer"] = prefix + "-output",
            ["Storage:ErrorsContainer"] = prefix + "-errors",
            ["Storage:ArchiveContainer"] = prefix + "-archive",
            ["Storage:StagingContainer"] = prefix + "-staging",
            ["Storage:CompletedQueue"] = prefix + "-completed",
            ["Workflow:FirstPollDelay"] = "00:00:00.200",
            ["Workflow:MinPollDelay"] = "00:00:00.200",
            ["Workflow:MaxPollDelay"] = "00:00:01",
            ["Workflow:FirstRetryDelay"] = "00:00:00.100",
            ["Workflow:MaxRetryDelay"] = "00:00:00.500",
            ["Workflow:ActivityRetryDelay"] = "00:00:00.100",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddBatchFunctionsApp(configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        // The app's start-up work: containers and queues where they are missing.
        await ActivatorUtilities.CreateInstance<StorageInitializer>(services).StartAsync(CancellationToken.None);

        var timers = new TimerCount();
        void Register(DurableTaskRegistry registry) =>
            FunctionAppRegistration.Register(registry, services, engine => new CountingContext(engine, timers), throwIn);

        var durable = await FunctionAppRegistration.StartTestHostAsync(Register);
        return new FunctionAppTestHost(emulator, services, durable, values, timers);
    }

    /// <summary>Chat requests q1..qN.</summary>
    public static string Chat(int count) => string.Concat(Enumerable.Range(1, count).Select(i =>
        "{\"custom_id\":\"q" + i + "\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"question " + i + "\"}]}}\n"));

    /// <summary>Uploads an input and returns its source (the batch's identity).</summary>
    public async Task<BatchSource> DropAsync(string name, string content, IDictionary<string, string>? metadata = null)
    {
        var uploaded = await Storage.Input.GetBlobClient(name).UploadAsync(BinaryData.FromString(content), new BlobUploadOptions { Metadata = metadata });
        return new BatchSource(Storage.AccountName, Storage.Options.InputContainer, name, uploaded.Value.ETag.ToString());
    }

    /// <summary>Starts the batch through the app's own starter.</summary>
    public Task<(string InstanceId, bool Started)> StartAsync(BatchSource source) =>
        Function<BatchStarter>().StartAsync(Client, source, CancellationToken.None);

    /// <summary>Waits for the orchestration to end and returns the status it ended with.</summary>
    public async Task<BatchStatus> WaitForEndAsync(string instanceId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var instance = await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, timeout.Token);
        Assert.True(instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"The orchestration ended {instance.RuntimeStatus}: {instance.FailureDetails?.ErrorMessage}");
        return instance.ReadOutputAs<BatchStatus>() ?? throw new InvalidOperationException("No output.");
    }

    /// <summary>Waits until the batch's published status satisfies <paramref name="condition"/>.</summary>
    public async Task<BatchStatus> WaitForStatusAsync(string instanceId, Func<BatchStatus, bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var instance = await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, timeout.Token);
            var status = instance?.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<BatchStatus>() : instance?.ReadCustomStatusAs<BatchStatus>();
            if (status is not null && condition(status))
            {
                return status;
            }

            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"Batch {instanceId} never reached: {what}.");
            }

            // Waits for the next orchestration step, not for time: the engine publishes the status per step.
            await Task.Delay(50, timeout.Token);
        }
    }

    public static async Task<string> ReadTextAsync(Azure.Storage.Blobs.BlobContainerClient container, string name) =>
        (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString();

    public async Task SetEmulatorAsync(string path, string json, bool put = false)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = put ? await Admin.PutAsync(new Uri(path, UriKind.Relative), content) : await Admin.PostAsync(new Uri(path, UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
    }

    public Task<List<BatchJob>> JobsOfAsync(string instanceId) => BatchJobs.OfAsync(Mistral, instanceId);

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await _durable.DisposeAsync();
        await _services.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}
