using System.CommandLine;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using BatchFunctions.MistralEmulator;
using BatchFunctions.Runner;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.Cli.Commands;

/// <summary>
/// <c>batchfn run &lt;file&gt;</c>: drops a JSONL into the input container and runs its batch here, on Azure
/// Storage (Azurite by default), against Mistral (or, without <c>MISTRAL_API_KEY</c>, the built-in
/// emulator), showing progress; then downloads the results. Interrupted, it resumes when run again.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<FileInfo>("file") { Description = "The JSONL file of requests." };
        var model = new Option<string?>("--model", "-m") { Description = "The job's model (blob metadata 'model')." };
        var endpoint = new Option<string?>("--endpoint", "-e") { Description = "The endpoint, e.g. /v1/chat/completions." };
        var timeout = new Option<int?>("--timeout-hours") { Description = "Mistral's job timeout, 1 to 168 hours." };
        var metadata = new Option<string[]>("--metadata") { Description = "Job metadata as key=value (repeatable).", AllowMultipleArgumentsPerToken = true };
        var outputDirectory = new Option<DirectoryInfo?>("--out", "-o") { Description = "Where to download results.jsonl, errors.jsonl and summary.json." };
        var command = new Command("run", "Run a batch here: upload the file, submit it, follow it and download its results. Exit 0 when it succeeded.")
        {
            file, model, endpoint, timeout, metadata, outputDirectory,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                await error.WriteLineAsync($"No such file: {path.FullName}");
                return BatchFnApp.UsageError;
            }

            var blobMetadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (parse.GetValue(model) is { } m)
            {
                blobMetadata["model"] = m;
            }

            if (parse.GetValue(endpoint) is { } e)
            {
                blobMetadata["endpoint"] = e;
            }

            if (parse.GetValue(timeout) is { } hours)
            {
                blobMetadata["timeout_hours"] = hours.ToString(CultureInfo.InvariantCulture);
            }

            foreach (var pair in parse.GetValue(metadata) ?? [])
            {
                var separator = pair.IndexOf('=', StringComparison.Ordinal);
                if (separator < 1)
                {
                    await error.WriteLineAsync($"--metadata takes key=value, not '{pair}'.");
                    return BatchFnApp.UsageError;
                }

                blobMetadata["metadata_" + pair[..separator]] = pair[(separator + 1)..];
            }

            // Ctrl-C and SIGTERM both stop the run cleanly: the state is saved, and the same command resumes it.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            return await RunAsync(path, blobMetadata, parse.GetValue(outputDirectory), output, error, stop.Token);

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(FileInfo path, Dictionary<string, string> blobMetadata, DirectoryInfo? outputDirectory, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var environment = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var settings = new Dictionary<string, string?>();
        if (string.IsNullOrEmpty(environment["Storage:ConnectionString"]) && string.IsNullOrEmpty(environment["Storage:BlobServiceUri"]))
        {
            settings["Storage:ConnectionString"] = environment["BATCHFN_STORAGE"] is { Length: > 0 } storage ? storage : "UseDevelopmentStorage=true";
        }

        MistralEmulatorServer? emulator = null;
        try
        {
            if (string.IsNullOrEmpty(environment["MISTRAL_API_KEY"]) && string.IsNullOrEmpty(environment["Mistral:ApiKey"]))
            {
                emulator = await MistralEmulatorServer.StartAsync(cancellationToken: cancellationToken);
                settings["Mistral:BaseAddress"] = emulator.BaseAddress.ToString();
                settings["Mistral:ApiKey"] = "emulator";
                await output.WriteLineAsync($"Mistral: the built-in emulator at {emulator.BaseAddress} (set MISTRAL_API_KEY to use the real API)");
            }
            else
            {
                await output.WriteLineAsync("Mistral: the API (MISTRAL_API_KEY is set)");
            }

            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(settings).Build();
            await using var services = new ServiceCollection()
                .AddLogging(logging => logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Warning))
                .AddBatchFunctionsRunner(configuration)
                .BuildServiceProvider();
            var storage = services.GetRequiredService<BatchStorage>();
            await storage.EnsureCreatedAsync(cancellationToken);

            var blob = storage.Input.GetBlobClient(path.Name);
            byte[] hash;
            await using (var content = path.OpenRead())
            {
                // Content-MD5 is what Blob Storage stores and compares; it identifies content, it protects nothing.
#pragma warning disable CA5351
                hash = await MD5.HashDataAsync(content, cancellationToken);
#pragma warning restore CA5351
            }

            BatchSource source;
            var existing = await blob.ExistsAsync(cancellationToken) ? (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value : null;
            // The built-in emulator forgets its jobs when the process ends, so only a batch on a lasting
            // Mistral (the API, or an emulator started apart) can be resumed.
            if (emulator is null && existing is not null && existing.ContentHash is { } stored && stored.AsSpan().SequenceEqual(hash) && MetadataMatches(existing.Metadata, blobMetadata))
            {
                // The same file is still waiting in the input container: it is the same batch, so resume it.
                source = new BatchSource(storage.AccountName, storage.Options.InputContainer, path.Name, existing.ETag.ToString());
                await output.WriteLineAsync($"Input: {blob.Uri} (already uploaded: resuming its batch)");
            }
            else
            {
                await using var content = path.OpenRead();
                var uploaded = await blob.UploadAsync(content, new BlobUploadOptions { Metadata = blobMetadata, HttpHeaders = new BlobHttpHeaders { ContentHash = hash } }, cancellationToken);
                source = new BatchSource(storage.AccountName, storage.Options.InputContainer, path.Name, uploaded.Value.ETag.ToString());
                await output.WriteLineAsync($"Input: {blob.Uri}");
            }

            var progress = new ProgressPrinter(output);
            if (await services.GetRequiredService<BatchRunner>().RunAsync(source, progress, cancellationToken) is not { } state)
            {
                await error.WriteLineAsync($"This version of {path.Name} ran already as batch {BatchInstanceId.From(source)}, whose record has expired; upload it again (delete the blob first) to run it again.");
                return BatchFnApp.Failure;
            }

            await PrintSummaryAsync(storage, state, output);
            var directory = outputDirectory ?? new DirectoryInfo(Path.Combine("batchfn-results", Path.GetFileNameWithoutExtension(path.Name) + "-" + state.InstanceId[3..11]));
            await DownloadAsync(storage, state, directory, output, cancellationToken);
            return state.Outcome == BatchOutcome.Succeeded ? BatchFnApp.Success : BatchFnApp.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("Interrupted: the batch's state is saved; run the same command again to resume it.");
            return BatchFnApp.Failure;
        }
        catch (Azure.RequestFailedException exception) when (exception.Status == 0 || exception.InnerException is HttpRequestException)
        {
            await error.WriteLineAsync("Cannot reach Azure Storage: start Azurite (./demo.sh does) or set Storage__ConnectionString / BATCHFN_STORAGE.");
            return BatchFnApp.Failure;
        }
        finally
        {
            if (emulator is not null)
            {
                await emulator.DisposeAsync();
            }
        }
    }

    private static bool MetadataMatches(IDictionary<string, string> stored, Dictionary<string, string> wanted) =>
        stored.Count == wanted.Count && wanted.All(pair => stored.TryGetValue(pair.Key, out var value) && value == pair.Value);

    private static async Task PrintSummaryAsync(BatchStorage storage, BatchState state, TextWriter output)
    {
        await output.WriteLineAsync();
        await output.WriteLineAsync($"Batch {state.InstanceId}: {state.Outcome}");
        if (state.Failure is { } failure)
        {
            await output.WriteLineAsync($"  {failure}");
        }

        if (state.Outputs?.Summary is not null)
        {
            var summary = await storage.Output.GetBlobClient(BlobLayout.Summary(state.Source.Name, state.InstanceId)).DownloadContentAsync();
            using var document = JsonDocument.Parse(summary.Value.Content);
            if (document.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                await output.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  requests {usage.GetProperty("requests").GetInt64()}: succeeded {usage.GetProperty("succeeded").GetInt64()}, failed {usage.GetProperty("failed").GetInt64()}, missing {usage.GetProperty("missing").GetInt64()}; tokens {usage.GetProperty("total_tokens").GetInt64()}"));
            }
        }

        foreach (var (label, uri) in new[] { ("results", state.Outputs?.Results), ("errors", state.Outputs?.Errors), ("summary", state.Outputs?.Summary), ("rejection", state.Outputs?.Rejection) })
        {
            if (uri is not null)
            {
                await output.WriteLineAsync($"  {label,-9} {uri}");
            }
        }
    }

    private static async Task DownloadAsync(BatchStorage storage, BatchState state, DirectoryInfo directory, TextWriter output, CancellationToken cancellationToken)
    {
        directory.Create();
        var files = new[]
        {
            (storage.Output, BlobLayout.Results(state.Source.Name, state.InstanceId), "results.jsonl"),
            (storage.Errors, BlobLayout.Errors(state.Source.Name, state.InstanceId), "errors.jsonl"),
            (storage.Output, BlobLayout.Summary(state.Source.Name, state.InstanceId), "summary.json"),
            (storage.Errors, BlobLayout.Rejection(state.Source.Name, state.InstanceId), "rejection.json"),
        };
        foreach (var (container, name, local) in files)
        {
            var blob = container.GetBlobClient(name);
            if (await blob.ExistsAsync(cancellationToken))
            {
                await blob.DownloadToAsync(Path.Combine(directory.FullName, local), cancellationToken);
            }
        }

        await output.WriteLineAsync($"Downloaded to {directory.FullName}");
    }

    /// <summary>Prints a line whenever the phase or the count of completed requests changes.</summary>
    private sealed class ProgressPrinter(TextWriter output) : IProgress<BatchStatus>
    {
        private (BatchPhase, long) _last = (BatchPhase.Completed, -1);

        public void Report(BatchStatus value)
        {
            if ((value.Phase, value.Completed) == _last)
            {
                return;
            }

            _last = (value.Phase, value.Completed);
            var eta = value.EstimatedCompletion is { } at ? string.Create(CultureInfo.InvariantCulture, $", done about {at:HH:mm:ss} UTC") : string.Empty;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {value.Phase,-11} {value.Completed}/{value.Requests} requests ({value.PercentDone:F0}%){eta}"));
        }
    }
}
