using BatchFunctions.Core.Mistral;
using BatchFunctions.MistralEmulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace BatchFunctions.Core.Tests.Mistral;

/// <summary>
/// A real emulator on a free loopback port with a fake clock, and a <see cref="MistralClient"/> built
/// through the production registration (typed client, resilience pipeline, options validation).
/// </summary>
public sealed class MistralTestHost : IAsyncDisposable
{
    public const string ApiKey = "test-key-5f1c0a9e7d";

    private readonly ServiceProvider _services;

    private MistralTestHost(MistralEmulatorServer emulator, FakeTimeProvider clock, ServiceProvider services)
    {
        Emulator = emulator;
        Clock = clock;
        _services = services;
        Client = services.GetRequiredService<MistralClient>();
        Admin = new HttpClient { BaseAddress = emulator.BaseAddress };
    }

    public MistralEmulatorServer Emulator { get; }

    /// <summary>The emulator's clock: jobs advance only when a test moves it.</summary>
    public FakeTimeProvider Clock { get; }

    public MistralClient Client { get; }

    /// <summary>A plain client for the emulator's admin routes.</summary>
    public HttpClient Admin { get; }

    public FakeLogCollector Logs => _services.GetFakeLogCollector();

    public static async Task<MistralTestHost> StartAsync(
        Action<MistralEmulatorOptions>? emulator = null,
        IDictionary<string, string?>? clientSettings = null,
        bool emulatorOnWallClock = false)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var server = await MistralEmulatorServer.StartAsync(
            options =>
            {
                options.ApiKey = ApiKey;
                options.QueueDelay = TimeSpan.FromSeconds(5);
                options.RequestsPerSecond = 1;
                options.CancellationDelay = TimeSpan.FromSeconds(2);
                emulator?.Invoke(options);
            },
            emulatorOnWallClock ? TimeProvider.System : clock);

        var settings = new Dictionary<string, string?>
        {
            ["Mistral:BaseAddress"] = server.BaseAddress.ToString(),
            ["Mistral:ApiKey"] = ApiKey,
            ["Mistral:RetryBaseDelay"] = "00:00:00.010",
            ["Mistral:MaxRetryAttempts"] = "3",
            ["Mistral:RequestTimeout"] = "00:00:10",
        };
        foreach (var (key, value) in clientSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddFakeLogging())
            .AddBatchFunctionsCore(configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        return new MistralTestHost(server, clock, services);
    }

    public async Task<IReadOnlyList<EmulatorCall>> GetCallsAsync()
    {
        var calls = await Admin.GetFromJsonAsync<List<EmulatorCall>>("_emulator/calls", EmulatorCall.JsonOptions);
        return calls!;
    }

    public async Task ClearCallsAsync() => (await Admin.DeleteAsync("_emulator/calls")).EnsureSuccessStatusCode();

    public async Task AddFaultAsync(object rule) =>
        (await Admin.PostAsJsonAsync("_emulator/faults", rule, EmulatorCall.JsonOptions)).EnsureSuccessStatusCode();

    public async Task AddOutcomeAsync(object rule) =>
        (await Admin.PostAsJsonAsync("_emulator/outcomes", rule, EmulatorCall.JsonOptions)).EnsureSuccessStatusCode();

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await _services.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}
