using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace BatchFunctions.MistralEmulator;

/// <summary>The emulator running in this process on a free loopback port: for tests and the CLI.</summary>
public sealed class MistralEmulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MistralEmulatorServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the emulator listens, with a trailing slash.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The application's services, for tests that inspect state directly.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the emulator on <c>127.0.0.1</c> and a port the OS picks.</summary>
    public static async Task<MistralEmulatorServer> StartAsync(Action<MistralEmulatorOptions>? configure = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var app = MistralEmulatorApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"], configure, timeProvider, hostedInProcess: true);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new MistralEmulatorServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
