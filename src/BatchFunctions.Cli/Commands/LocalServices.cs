using System.Globalization;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using BatchFunctions.MistralEmulator;
using Microsoft.Extensions.Configuration;

namespace BatchFunctions.Cli.Commands;

/// <summary>
/// The defaults of the commands that run the workflow here (<c>run</c>, <c>serve</c>): Azurite unless storage is
/// configured, and the built-in emulator unless a Mistral key or address is.
/// </summary>
internal static class LocalServices
{
    // In the order they win; each is named in messages as it is set in the environment.
    private static readonly string[] StorageSettings = ["Storage:ConnectionString", "Storage:BlobServiceUri", "AzureWebJobsStorage", "BATCHFN_STORAGE"];

    /// <summary>Azurite's default blob port; its queue and table services listen on the next two.</summary>
    public const int AzuriteBlobPort = 10000;

    /// <summary>
    /// Fills in the storage setting and checks that it answers, in one line either way: the configured account
    /// (<c>Storage__ConnectionString</c>, <c>Storage__BlobServiceUri</c>, <c>AzureWebJobsStorage</c> or
    /// <c>BATCHFN_STORAGE</c>); else an Azurite already on 127.0.0.1:10000; else the pinned Azurite, started
    /// here with its data in a folder (<c>BATCHFN_AZURITE_DATA</c>) and stopped when the command ends.
    /// </summary>
    public static async Task<LocalStorage> PrepareStorageAsync(IConfiguration environment, Dictionary<string, string?> settings, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(settings);
        var (value, source) = StorageSettings
            .Select(name => (Value: environment[name], Name: name.Replace(":", "__", StringComparison.Ordinal)))
            .FirstOrDefault(setting => !string.IsNullOrEmpty(setting.Value));
        EmbeddedAzurite? azurite = null;
        var onAzurite = value is null;
        if (value is null)
        {
            var port = int.TryParse(environment["BATCHFN_AZURITE_PORT"], CultureInfo.InvariantCulture, out var given) && given is > 0 and < 65533 ? given : AzuriteBlobPort;
            value = EmbeddedAzurite.ConnectionString(port);
            if (await AnswersAsync(new Uri($"http://127.0.0.1:{port}"), TimeSpan.FromSeconds(1), cancellationToken))
            {
                source = "the Azurite already listening on 127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
                await output.WriteLineAsync($"Storage: {source}");
            }
            else if (EmbeddedAzurite.Find() is not { } executable)
            {
                return new LocalStorage(null, string.Create(CultureInfo.InvariantCulture, $"No storage is configured and nothing listens on 127.0.0.1:{port}: install the pinned Azurite with 'npm ci' in the repository (./test.sh and ./demo.sh do), start an Azurite, or set BATCHFN_STORAGE to a connection string."));
            }
            else
            {
                var data = environment["BATCHFN_AZURITE_DATA"] is { Length: > 0 } folder
                    ? Path.GetFullPath(folder)
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "batchfn", "azurite");
                string? problem;
                (azurite, problem) = await EmbeddedAzurite.StartAsync(executable, port, data, cancellationToken);
                if (azurite is null)
                {
                    return new LocalStorage(null, problem);
                }

                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Storage: started the pinned Azurite on 127.0.0.1:{port}-{port + 2}, data kept in {data} (it stops with batchfn; set BATCHFN_STORAGE for other storage)"));
                source = "the Azurite started here";
            }
        }

        // The settings read from the environment reach the host themselves; these two are filled in here.
        if (onAzurite || source is "BATCHFN_STORAGE")
        {
            settings["Storage:ConnectionString"] = value;
        }

        // One look before anything starts: storage that cannot be reached is said at once, not after the SDK's retries.
        var endpoint = source == "Storage__BlobServiceUri" ? (Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri : null) : BlobEndpointOf(value);
        if (endpoint is null)
        {
            return new LocalStorage(azurite, $"{source} is neither a storage connection string nor a blob service URI.");
        }

        if (!await AnswersAsync(endpoint, TimeSpan.FromSeconds(5), cancellationToken))
        {
            return new LocalStorage(azurite, $"Cannot reach Azure Storage at {endpoint.GetLeftPart(UriPartial.Authority)} (from {source}): start it, or point BATCHFN_STORAGE (or Storage__ConnectionString) at a reachable account.");
        }

        return new LocalStorage(azurite, null);
    }

    /// <summary>The blob endpoint a connection string names, without ever printing the string (it holds the key).</summary>
    private static Uri? BlobEndpointOf(string connectionString)
    {
        try
        {
            return new BlobServiceClient(connectionString).Uri;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Whether something accepts a TCP connection at the endpoint's host and port within <paramref name="patience"/>.</summary>
    private static async Task<bool> AnswersAsync(Uri endpoint, TimeSpan patience, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(patience);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token);
            return true;
        }
        catch (Exception exception) when (exception is SocketException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>
    /// Starts the built-in emulator when neither a key nor an address of Mistral is configured and says which
    /// Mistral is used; with an address but no key (an emulator started apart), any key will do.
    /// </summary>
    public static async Task<MistralEmulatorServer?> StartMistralAsync(IConfiguration environment, Dictionary<string, string?> settings, TextWriter output, CancellationToken cancellationToken)
    {
        var hasKey = !string.IsNullOrEmpty(environment["MISTRAL_API_KEY"]) || !string.IsNullOrEmpty(environment["Mistral:ApiKey"]);
        var address = environment["Mistral:BaseAddress"] is { Length: > 0 } configured ? configured : environment["MISTRAL_BASE_URL"];
        if (hasKey)
        {
            await output.WriteLineAsync(address is { Length: > 0 } ? $"Mistral: {address} (with the configured key)" : "Mistral: the API (MISTRAL_API_KEY is set)");
            return null;
        }

        if (address is { Length: > 0 })
        {
            settings["Mistral:ApiKey"] = "emulator";
            await output.WriteLineAsync($"Mistral: {address} (no key set: an emulator, presumably)");
            return null;
        }

        var emulator = await MistralEmulatorServer.StartAsync(cancellationToken: cancellationToken);
        settings["Mistral:BaseAddress"] = emulator.BaseAddress.ToString();
        settings["Mistral:ApiKey"] = "emulator";

        // Its port is new each time: batches are bound to the built-in emulator by this name instead.
        settings["Mistral:Identity"] = "the built-in emulator";
        await output.WriteLineAsync($"Mistral: the built-in emulator at {emulator.BaseAddress} (set MISTRAL_API_KEY to use the real API)");
        return emulator;
    }
}

/// <summary>The storage a local command uses: the Azurite it started (to stop at the end), or why there is none.</summary>
/// <param name="Azurite">The Azurite started for this command, if any.</param>
/// <param name="Problem">Why storage cannot be used, in one line; null when it can.</param>
internal sealed record LocalStorage(EmbeddedAzurite? Azurite, string? Problem) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        if (Azurite is not null)
        {
            await Azurite.DisposeAsync();
        }
    }
}
