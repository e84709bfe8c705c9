using System.Collections.Concurrent;
using BatchFunctions.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>
/// Finds due batches in the store and steps them, at most <see cref="RunnerOptions.MaxConcurrentBatches"/>
/// at once; removes finished batches after their retention. Every runner on the same storage may run one:
/// leases keep each batch to one runner at a time, and a batch whose runner died is picked up once its
/// lease lapses. Starts and cancels wake it at once; otherwise it looks every scan interval.
/// </summary>
public sealed class BatchScheduler(
    BatchStorage storage,
    InstanceStore store,
    IServiceProvider services,
    TimeProvider timeProvider,
    IOptions<RunnerOptions> options,
    ILogger<BatchScheduler> logger) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset NotBefore)> _failing = new(StringComparer.Ordinal);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _ready;

    /// <summary>Makes the scheduler look for due batches now instead of at the next interval.</summary>
    public void Wake() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>Creates the containers and queues before the host starts listening, so that no first request meets a missing one.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await EnsureStorageAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Unreachable for now: the scan loop tries again.
            LogScanFailure(exception);
        }

        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Swapped before the scan: a wake-up that arrives during it triggers the next scan at once.
                Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                try
                {
                    await EnsureStorageAsync(stoppingToken);
                    await ScanAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogScanFailure(exception);
                }

                using var interval = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                await Task.WhenAny(Volatile.Read(ref _wake).Task, Task.Delay(options.Value.ScanInterval, timeProvider, interval.Token));
                await interval.CancelAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Let the steps under way end (they stop at their next await); their state is saved as of their last step.
            await Task.WhenAll(_running.Values).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    private void LogScanFailure(Exception exception)
    {
        // A storage account that does not answer is the usual first-run mistake: one line, not a stack trace.
        if (RunnerLog.IsUnreachable(exception))
        {
            RunnerLog.StorageUnreachable(logger, storage.Blobs.Uri);
        }
        else
        {
            RunnerLog.ScanFailed(logger, exception);
        }
    }

    private async Task EnsureStorageAsync(CancellationToken cancellationToken)
    {
        if (!_ready)
        {
            // Every container and queue the workflow writes to, so that no step meets a missing one.
            await storage.EnsureCreatedAsync(cancellationToken);
            await store.EnsureCreatedAsync(cancellationToken);
            _ready = true;
        }
    }

    private async Task ScanAsync(CancellationToken stoppingToken)
    {
        var now = timeProvider.GetUtcNow();
        var settings = options.Value;
        await foreach (var entry in store.ListAsync(stoppingToken))
        {
            if (entry.CompletedAt is { } completed && completed + settings.Retention <= now)
            {
                await store.ExpireAsync(entry.Id, stoppingToken);
                RunnerLog.Expired(logger, entry.Id);
                continue;
            }

            if (!entry.IsDue(now) || _running.ContainsKey(entry.Id) || _running.Count >= settings.MaxConcurrentBatches
                || (_failing.TryGetValue(entry.Id, out var failing) && failing.NotBefore > now))
            {
                continue;
            }

            _running[entry.Id] = Task.Run(() => StepOneAsync(entry.Id, stoppingToken), CancellationToken.None);
        }
    }

    private async Task StepOneAsync(string instanceId, CancellationToken stoppingToken)
    {
        try
        {
            await services.GetRequiredService<BatchRunner>().StepAsync(instanceId, cancellationToken: stoppingToken);
            _failing.TryRemove(instanceId, out _);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException)
        {
            RunnerLog.LeaseLost(logger, instanceId);
        }
        catch (Exception exception)
        {
            // A bug or an unreachable store, not an expected outcome (those are data the decider handles):
            // back off so one broken batch does not spin, and keep stepping the others.
            var attempt = _failing.TryGetValue(instanceId, out var previous) ? previous.Failures + 1 : 1;
            var delay = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, attempt)));
            _failing[instanceId] = (attempt, timeProvider.GetUtcNow() + delay);
            RunnerLog.StepFailed(logger, exception, instanceId, attempt, delay);
        }
        finally
        {
            _running.TryRemove(instanceId, out _);
            Wake();
        }
    }
}
