using Azure;
using BatchFunctions.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.FunctionApp;

/// <summary>
/// Creates the containers and queues at start-up when they are missing, as under <c>func start</c> on
/// Azurite. In Azure the Bicep deployment creates them and the app's identity may not be allowed to: that
/// is logged once and start-up goes on.
/// </summary>
public sealed class StorageInitializer(BatchStorage storage, ILogger<StorageInitializer> logger) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await storage.EnsureCreatedAsync(cancellationToken);
            await storage.Queues.GetQueueClient(AppSettings.RequestsQueue).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await storage.Queues.GetQueueClient(QueueStarterFunctions.PoisonQueue).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException exception)
        {
            OrchestratorLog.StorageNotCreated(logger, exception.Status, exception.ErrorCode);
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
