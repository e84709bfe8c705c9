using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>
/// Starts a batch for every <c>*.jsonl</c> block blob in the input container, by listing it at an interval
/// (the same way on Azurite and on a real account, no Event Grid needed). A blob modified within the settle
/// time is taken to be still being written and is left for the next look; other names and blob types are
/// ignored. The same blob version always maps to the same batch, so sightings after the first start nothing.
/// </summary>
public sealed class InputWatcher(
    BatchStorage storage,
    IServiceProvider services,
    BatchScheduler scheduler,
    TimeProvider timeProvider,
    IOptions<RunnerOptions> options,
    ILogger<InputWatcher> logger) : BackgroundService
{
    private HashSet<(string Name, string ETag)> _seen = [];

    /// <summary>Looks at the input container once; returns how many new batches were started.</summary>
    public async Task<int> ScanAsync(CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        var present = new HashSet<(string, string)>();
        var started = 0;
        var runner = services.GetRequiredService<BatchRunner>();
        await foreach (var blob in storage.Input.GetBlobsAsync(cancellationToken: cancellationToken))
        {
            var properties = blob.Properties;
            if (properties.BlobType is not BlobType.Block || properties.ETag is not { } etag || properties.LastModified is not { } modified
                || now - modified < options.Value.SettleTime)
            {
                continue;
            }

            var key = (blob.Name, etag.ToString());
            present.Add(key);
            if (_seen.Contains(key))
            {
                continue;
            }

            if (!blob.Name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
            {
                // Once per version, like every sighting: a README or a CSV beside the inputs is not an error.
                RunnerLog.InputIgnored(logger, storage.Options.InputContainer, Printable(blob.Name), "not a .jsonl");
                continue;
            }

            if (BlobNames.CheckInputName(blob.Name, "The blob name") is { } problem)
            {
                // Seen once, logged once: the name stays in the set while the blob stays.
                RunnerLog.InputIgnored(logger, storage.Options.InputContainer, Printable(blob.Name), problem);
                continue;
            }

            var source = new BatchSource(storage.AccountName, storage.Options.InputContainer, blob.Name, etag.ToString());
            var result = await runner.StartAsync(source, cancellationToken);
            RunnerLog.InputSeen(logger, source.Container, source.Name, BatchInstanceId.From(source), result.Created ? "started" : result.Expired ? "expired already" : "exists");
            if (result.Created)
            {
                started++;
            }
        }

        // Only what is still there needs remembering: archived inputs leave the set with the container.
        _seen = present;
        if (started > 0)
        {
            scheduler.Wake();
        }

        return started;
    }

    private static string Printable(string name) => string.Concat(name.Select(c => char.IsControl(c) ? "?" : c.ToString()));

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WatchInput)
        {
            return;
        }

        var ready = false;
        string? failing = null;
        using var timer = new PeriodicTimer(options.Value.WatchInterval, timeProvider);
        try
        {
            do
            {
                try
                {
                    if (!ready)
                    {
                        await storage.Input.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                        ready = true;
                    }

                    await ScanAsync(stoppingToken);
                    if (failing is not null)
                    {
                        RunnerLog.WatchRecovered(logger, storage.Options.InputContainer);
                        failing = null;
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    if (RunnerLog.IsUnreachable(exception))
                    {
                        RunnerLog.StorageUnreachable(logger, storage.Blobs.Uri);
                    }
                    else if (failing != exception.GetType().FullName)
                    {
                        // Once per kind of failure, not at every look: the watcher goes on looking, and the
                        // scheduler, the queue listener and the HTTP API go on working meanwhile.
                        failing = exception.GetType().FullName;
                        RunnerLog.WatchFailed(logger, exception, storage.Options.InputContainer);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
