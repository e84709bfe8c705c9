using System.CommandLine;
using BatchFunctions.MistralEmulator;
using BatchFunctions.Runner;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Cli.Commands;

/// <summary>
/// <c>batchfn serve</c>: the self-hosted runner in the foreground (HTTP API, input watcher, queue listener,
/// scheduler) on Azure Storage (Azurite by default) until Ctrl-C or SIGTERM; unfinished batches resume on
/// the next start, here or on another runner of the same storage.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var urls = new Option<string?>("--urls") { Description = $"Where the HTTP API listens (default: Runner__Urls, else {new RunnerOptions().Urls}); beyond loopback it needs Runner__ApiKey." };
        var noWatch = new Option<bool>("--no-watch") { Description = "Do not watch the input container (start batches by HTTP, queue or events only)." };
        var noQueue = new Option<bool>("--no-queue") { Description = "Do not listen to the requests queue." };
        var command = new Command("serve", "Run the BatchFunctions runner here: HTTP API, input watcher, queue listener and scheduler (Ctrl-C stops it; batches resume on the next start).")
        {
            urls, noWatch, noQueue,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var environment = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var settings = new Dictionary<string, string?>();
            if (parse.GetValue(urls) is { } given)
            {
                settings["Runner:Urls"] = given;
            }

            if (parse.GetValue(noWatch))
            {
                settings["Runner:WatchInput"] = "false";
            }

            if (parse.GetValue(noQueue))
            {
                settings["Runner:ListenToQueue"] = "false";
            }

            settings["Logging:LogLevel:Default"] = environment["Logging:LogLevel:Default"] ?? "Information";
            settings["Logging:LogLevel:Microsoft.AspNetCore"] = environment["Logging:LogLevel:Microsoft.AspNetCore"] ?? "Warning";
            settings["Logging:LogLevel:Microsoft.Hosting"] = environment["Logging:LogLevel:Microsoft.Hosting"] ?? "Warning";

            // A start-up that fails is told in one line by this command, not as the host's stack trace.
            settings["Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host"] = environment["Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host"] ?? "Critical";
            settings["Logging:LogLevel:Polly"] = environment["Logging:LogLevel:Polly"] ?? "Warning";
            MistralEmulatorServer? emulator = null;
            LocalStorage? storage = null;
            try
            {
                storage = await LocalServices.PrepareStorageAsync(environment, settings, output, cancellationToken);
                if (storage.Problem is { } unusable)
                {
                    await error.WriteLineAsync(unusable);
                    return BatchFnApp.Failure;
                }

                emulator = await LocalServices.StartMistralAsync(environment, settings, output, cancellationToken);
                if (emulator is not null)
                {
                    await output.WriteLineAsync("  (its jobs live as long as this process: batches interrupted by a restart fail their polls and end Failed)");
                }

                var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(settings).Build();
                var app = RunnerHost.Build(configuration);
                try
                {
                    await app.StartAsync(cancellationToken);
                }
                catch (OptionsValidationException exception)
                {
                    foreach (var failure in SettingErrors.Describe(exception))
                    {
                        await error.WriteLineAsync(failure);
                    }

                    await app.DisposeAsync();
                    return BatchFnApp.UsageError;
                }
                catch (IOException exception) when (exception.InnerException is AddressInUseException)
                {
                    await error.WriteLineAsync($"Cannot listen: {exception.Message} Another runner may be using it: stop it, or choose another address with --urls (or Runner__Urls).");

                    // The services that started before Kestrel failed are stopped before the host goes.
                    await app.StopAsync(CancellationToken.None);
                    await app.DisposeAsync();
                    return BatchFnApp.Failure;
                }

                // What Kestrel bound, whichever setting named it: a key is required beyond loopback.
                if (RunnerHost.UnprotectedAddresses(app) is [_, ..] open)
                {
                    await error.WriteLineAsync($"Refusing to serve on {string.Join(", ", open)} without a key: set Runner__ApiKey (callers give it as x-functions-key), or listen on 127.0.0.1.");
                    await app.StopAsync(CancellationToken.None);
                    await app.DisposeAsync();
                    return BatchFnApp.UsageError;
                }

                var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
                var options = app.Services.GetRequiredService<IOptions<RunnerOptions>>().Value;
                await output.WriteLineAsync($"Runner {app.Services.GetRequiredService<RunnerIdentity>().Id} listening on {string.Join(", ", addresses)}");
                await output.WriteLineAsync($"  input container '{configuration["Storage:InputContainer"] ?? "batch-input"}' {(options.WatchInput ? "watched" : "not watched")}, queue '{options.RequestsQueue}' {(options.ListenToQueue ? "listened to" : "not listened to")}; Ctrl-C stops.");
                // Storage lost later is logged and retried by the runner's services, not fatal.
                await Foreground.RunUntilStoppedAsync(app, cancellationToken);
                return BatchFnApp.Success;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C (or SIGTERM) while starting: nothing ran yet, so there is nothing more to say.
                return BatchFnApp.Success;
            }
            finally
            {
                if (emulator is not null)
                {
                    await emulator.DisposeAsync();
                }

                if (storage is not null)
                {
                    await storage.DisposeAsync();
                }
            }
        });
        return command;
    }
}
