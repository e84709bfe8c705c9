using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core;
using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using BatchFunctions.MistralEmulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BatchFunctions.IntegrationTests;

/// <summary>
/// Azurite, the emulator on a fake clock, and Core wired as a host would wire it, with containers of their
/// own (a prefix per test) so tests sharing one Azurite never meet.
/// </summary>
public sealed class WorkflowTestHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private WorkflowTestHost(MistralEmulatorServer emulator, FakeTimeProvider clock, ServiceProvider services, StorageTrafficCounter reads)
    {
        Reads = reads;
        Emulator = emulator;
        Clock = clock;
        _services = services;
        Storage = services.GetRequiredService<BatchStorage>();
        Mistral = services.GetRequiredService<MistralClient>();
        Options = services.GetRequiredService<IOptions<WorkflowOptions>>().Value;
        Driver = new InMemoryDriver(services.GetRequiredService<BatchActivities>(), clock, Options);
        Admin = new HttpClient { BaseAddress = emulator.BaseAddress };
    }

    public MistralEmulatorServer Emulator { get; }

    public FakeTimeProvider Clock { get; }

    public BatchStorage Storage { get; }

    public MistralClient Mistral { get; }

    public WorkflowOptions Options { get; }

    public InMemoryDriver Driver { get; }

    public HttpClient Admin { get; }

    public BatchActivities Activities => _services.GetRequiredService<BatchActivities>();

    public BatchFunctions.Core.Api.IdempotencyStore Idempotency => _services.GetRequiredService<BatchFunctions.Core.Api.IdempotencyStore>();

    /// <summary>The Mistral this host's batches belong to.</summary>
    public MistralBinding Binding => MistralBinding.Of(_services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MistralClientOptions>>().Value);

    public BatchFunctions.Core.Api.BatchSubmitter Submitter => _services.GetRequiredService<BatchFunctions.Core.Api.BatchSubmitter>();

    /// <summary>What the workflow downloaded from each blob, for tests that count reads.</summary>
    public StorageTrafficCounter Reads { get; }

    public static async Task<WorkflowTestHost> StartAsync(AzuriteFixture azurite, IDictionary<string, string?>? settings = null)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 8, 0, 0, TimeSpan.Zero));
        var emulator = await MistralEmulatorServer.StartAsync(
            options =>
            {
                options.QueueDelay = TimeSpan.FromSeconds(20);
                options.RequestsPerSecond = 0.5;
                options.CancellationDelay = TimeSpan.FromSeconds(5);
            },
            clock);
        var values = IsolatedSettings(azurite, emulator);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var reads = new StorageTrafficCounter();
        var blobOptions = new BlobClientOptions();
        blobOptions.AddPolicy(reads, Azure.Core.HttpPipelinePosition.PerCall);
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(clock)
            .AddSingleton(new BlobServiceClient(values["Storage:ConnectionString"], blobOptions))
            .AddBatchFunctionsCore(configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var host = new WorkflowTestHost(emulator, clock, services, reads);
        await host.Storage.EnsureCreatedAsync();
        return host;
    }

    /// <summary>Settings for Core against Azurite and the emulator, with containers and queues of a test's own.</summary>
    public static Dictionary<string, string?> IsolatedSettings(AzuriteFixture azurite, MistralEmulatorServer emulator)
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..8];
        return new Dictionary<string, string?>
        {
            ["Mistral:BaseAddress"] = emulator.BaseAddress.ToString(),
            ["Mistral:ApiKey"] = "integration-key",
            ["Mistral:RetryBaseDelay"] = "00:00:00.010",
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:InputContainer"] = prefix + "-input",
            ["Storage:OutputContainer"] = prefix + "-output",
            ["Storage:ErrorsContainer"] = prefix + "-errors",
            ["Storage:ArchiveContainer"] = prefix + "-archive",
            ["Storage:StagingContainer"] = prefix + "-staging",
            ["Storage:CompletedQueue"] = prefix + "-completed",
            ["Runner:StateContainer"] = prefix + "-runner",
        };
    }

    /// <summary>Drops an input into the input container and returns the batch that it starts.</summary>
    public async Task<BatchState> DropAsync(string name, string content, IDictionary<string, string>? metadata = null)
    {
        var blob = Storage.Input.GetBlobClient(name);
        var uploaded = await blob.UploadAsync(BinaryData.FromString(content), new BlobUploadOptions { Metadata = metadata });
        var source = new BatchSource(Storage.AccountName, Storage.Options.InputContainer, name, uploaded.Value.ETag.ToString());
        return BatchState.Start(BatchInstanceId.From(source), source, Clock.GetUtcNow()) with { Mistral = Binding };
    }

    public static async Task<string> ReadTextAsync(BlobContainerClient container, string name) =>
        (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString();

    public Task<List<BatchJob>> JobsOfAsync(string instanceId) => JobsOfAsync(Mistral, instanceId);

    /// <summary>The Mistral jobs tagged with a batch's id.</summary>
    public static Task<List<BatchJob>> JobsOfAsync(MistralClient mistral, string instanceId) => BatchJobs.OfAsync(mistral, instanceId);

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await _services.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}
