using System.CommandLine;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Settings;
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
        var job = new JobSettingsOptions();
        var outputDirectory = new Option<DirectoryInfo?>("--out", "-o") { Description = "Where to download results.jsonl, errors.jsonl and summary.json." };
        var command = new Command("run", "Run a batch here: upload the file, submit it, follow it and download its results. Exit 0 when it succeeded.")
        {
            file, outputDirectory,
        };
        job.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                await error.WriteLineAsync($"No such file: {path.FullName}");
                return BatchFnApp.UsageError;
            }

            var (settings, problem) = job.Read(parse, path.Name);
            if (settings is null)
            {
                await error.WriteLineAsync(problem);
                return BatchFnApp.UsageError;
            }

            // The settings travel as the input blob's metadata, as for a file dropped into the container.
            var blobMetadata = BatchSettingsResolver.ToBlobMetadata(settings.Model, settings.Endpoint, settings.TimeoutHours, settings.Metadata, BatchPriorities.Parse(settings.Priority));

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
        MistralEmulatorServer? emulator = null;
        LocalStorage? local = null;
        var running = false;
        try
        {
            local = await LocalServices.PrepareStorageAsync(environment, settings, output, cancellationToken);
            if (local.Problem is { } unusable)
            {
                await error.WriteLineAsync(unusable);
                return BatchFnApp.Failure;
            }

            emulator = await LocalServices.StartMistralAsync(environment, settings, output, cancellationToken);
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(settings).Build();
            await using var services = new ServiceCollection()
                .AddLogging(logging => logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
                    .AddFilter(typeof(BatchRunner).FullName, LogLevel.Error)) // the command prints how the batch ended itself
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

            var progress = new ProgressDisplay(output, TimeProvider.System);
            running = true;
            var state = await services.GetRequiredService<BatchRunner>().RunAsync(source, progress, cancellationToken);
            progress.Complete();
            if (state is null)
            {
                await error.WriteLineAsync($"This version of {path.Name} ran already as batch {BatchInstanceId.From(source)}, whose record has expired; upload it again (delete the blob first) to run it again.");
                return BatchFnApp.Failure;
            }

            var directory = outputDirectory ?? new DirectoryInfo(Path.Combine("batchfn-results", Path.GetFileNameWithoutExtension(path.Name) + "-" + state.InstanceId[3..11]));
            var files = await DownloadAsync(storage, state, directory, cancellationToken);
            await SummaryPrinter.PrintAsync(BatchStatus.From(state, TimeProvider.System.GetUtcNow()), files, output);
            await output.WriteLineAsync($"Downloaded to {directory.FullName}");
            return state.Outcome == BatchOutcome.Succeeded ? BatchFnApp.Success : BatchFnApp.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync(running
                ? "Interrupted: the batch's state is saved; run the same command again to resume it."
                : "Interrupted before the batch started.");
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

            if (local is not null)
            {
                await local.DisposeAsync();
            }
        }
    }

    private static bool MetadataMatches(IDictionary<string, string> stored, Dictionary<string, string> wanted) =>
        stored.Count == wanted.Count && wanted.All(pair => stored.TryGetValue(pair.Key, out var value) && value == pair.Value);

    private static async Task<IReadOnlyList<string>> DownloadAsync(BatchStorage storage, BatchState state, DirectoryInfo directory, CancellationToken cancellationToken)
    {
        directory.Create();
        var written = new List<string>();
        foreach (var kind in Enum.GetValues<BatchFileKind>())
        {
            var blob = storage.FileOf(state.Source.Name, state.InstanceId, kind);
            if (await blob.ExistsAsync(cancellationToken))
            {
                var path = Path.Combine(directory.FullName, ResultsDownloader.FileName(kind));
                await blob.DownloadToAsync(path, cancellationToken);
                written.Add(path);
            }
        }

        return written;
    }
}
