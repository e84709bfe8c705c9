using BatchFunctions.MistralEmulator;
using Microsoft.Extensions.Configuration;

namespace BatchFunctions.Cli.Commands;

/// <summary>
/// The defaults of the commands that run the workflow here (<c>run</c>, <c>serve</c>): Azurite unless storage is
/// configured, and the built-in emulator unless a Mistral key or address is.
/// </summary>
internal static class LocalServices
{
    /// <summary>The environment's settings, with the storage default filled in.</summary>
    public static Dictionary<string, string?> Defaults(IConfiguration environment)
    {
        var settings = new Dictionary<string, string?>();
        if (string.IsNullOrEmpty(environment["Storage:ConnectionString"]) && string.IsNullOrEmpty(environment["Storage:BlobServiceUri"]) && string.IsNullOrEmpty(environment["AzureWebJobsStorage"]))
        {
            settings["Storage:ConnectionString"] = environment["BATCHFN_STORAGE"] is { Length: > 0 } storage ? storage : "UseDevelopmentStorage=true";
        }

        return settings;
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
        await output.WriteLineAsync($"Mistral: the built-in emulator at {emulator.BaseAddress} (set MISTRAL_API_KEY to use the real API)");
        return emulator;
    }
}
